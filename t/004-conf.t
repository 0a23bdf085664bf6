# Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE.
# The example configurations in conf/ pass "nginx -t" with the module.

use strict;
use warnings;

use File::Copy qw(copy);
use File::Temp qw(tempdir);
use Test::More;

# t/lib/nginx when run by make test: -e below is given again, the last wins
my $nginx = $ENV{TEST_NGINX_BINARY} // $ENV{NGINX_BIN} // '/usr/sbin/nginx';
my $module = $ENV{TEST_NGINX_LOAD_MODULES}
    or plan skip_all => 'TEST_NGINX_LOAD_MODULES names no module';

for my $name (qw(demo.conf ndes-edge.conf)) {
    my $dir = tempdir(CLEANUP => 1);
    mkdir "$dir/conf";
    mkdir "$dir/conf/ssl";
    mkdir "$dir/logs";
    copy("conf/$name", "$dir/conf/$name") or die "copy: $!";

    # "http2 on" is nginx 1.25.1's; before it, what the comment above the
    # listen line says to write instead
    if (nginx_version() < 1025001) {
        edit("$dir/conf/$name", sub {
            s/^(\s*listen\s+443 ssl);\n\s*http2\s+on;\n/$1 http2;\n/m;
        });
    }

    # ndes-edge.conf names a certificate relative to its own directory
    system("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=t"
           . " -keyout $dir/conf/ssl/ndes-edge.key"
           . " -out $dir/conf/ssl/ndes-edge.crt 2>/dev/null") == 0
        or die "openssl req failed";

    my $out = `$nginx -t -p $dir/ -c $dir/conf/$name -e $dir/logs/error.log -g 'load_module $module;' 2>&1`;
    is($?, 0, "nginx -t conf/$name") or diag($out);
    like($out, qr/syntax is ok/, "conf/$name: syntax is ok");
    unlike($out, qr/\[(?:warn|emerg|alert|crit)\]/, "conf/$name: no warning");
}

sub nginx_version {
    `$nginx -v 2>&1` =~ m{(?:nginx|openresty)/(\d+)\.(\d+)\.(\d+)} or die "no nginx version";
    return $1 * 1000000 + $2 * 1000 + $3;
}

sub edit {
    my ($file, $change) = @_;

    open my $in, '<', $file or die "$file: $!";
    local $_ = do { local $/; <$in> };
    close $in;

    $change->();

    open my $out, '>', $file or die "$file: $!";
    print $out $_;
    close $out;
}

done_testing();
