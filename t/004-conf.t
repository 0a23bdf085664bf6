# Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE.
# The example configurations in conf/ pass "nginx -t" with the module built
# here, without the Debian package: conf/ndes-edge.conf (written for
# Debian's nginx with the package, t/lib/package-test checks it so) and its
# split into Debian's layout, conf/debian/, under a temporary prefix.

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
    my $dir = prefix();
    copy("conf/$name", "$dir/conf/$name") or die "copy: $!";
    edit("$dir/conf/$name", sub { debian_paths($dir) });

    nginx_t($dir, "$dir/conf/$name", "conf/$name");
}

# conf/debian/ in Debian's own nginx.conf, the site enabled by its link
SKIP: {
    skip 'no /etc/nginx/nginx.conf', 5 unless -f '/etc/nginx/nginx.conf';

    my $dir = prefix();
    mkdir "$dir/conf/$_" for qw(conf.d sites-available sites-enabled);
    copy('/etc/nginx/nginx.conf', "$dir/conf/nginx.conf") or die "copy: $!";
    copy('conf/debian/conf.d/scep.conf', "$dir/conf/conf.d/scep.conf")
        or die "copy: $!";
    copy('conf/debian/sites-available/ndes-edge',
         "$dir/conf/sites-available/ndes-edge") or die "copy: $!";
    symlink("$dir/conf/sites-available/ndes-edge",
            "$dir/conf/sites-enabled/ndes-edge") or die "symlink: $!";

    for my $file (qw(nginx.conf conf.d/scep.conf sites-available/ndes-edge)) {
        edit("$dir/conf/$file", sub { debian_paths($dir) });
    }

    my $out = nginx_t($dir, "$dir/conf/nginx.conf",
                      'conf/debian/ in nginx.conf');
    like($out, qr{^# configuration file \Q$dir\E/conf/conf\.d/scep\.conf:}m,
         'nginx.conf includes conf.d/scep.conf');
    like($out,
         qr{^# configuration file \Q$dir\E/conf/sites-enabled/ndes-edge:}m,
         'and the site, through its link in sites-enabled');
}

# conf/debian/ says what conf/ndes-edge.conf says: each of its directive
# lines is one of ndes-edge.conf's, in the same order
{
    my @edge = directives('conf/ndes-edge.conf');
    my @split = (directives('conf/debian/conf.d/scep.conf'),
                 directives('conf/debian/sites-available/ndes-edge'));
    my ($i, @missing) = (0);

    for my $line (@split) {
        $i++ while $i < @edge && $edge[$i] ne $line;
        push @missing, $line if $i++ >= @edge;
    }

    ok(@split > 20 && !@missing,
       'conf/debian/ has the lines of conf/ndes-edge.conf, in order')
        or diag("not in ndes-edge.conf, or out of order:\n  "
                . join("\n  ", @missing));
}

# a prefix with conf/, conf/ssl/ and logs/, the certificate and the CA
# file ndes-edge.conf names
sub prefix {
    my $dir = tempdir(CLEANUP => 1);

    mkdir "$dir/$_" for qw(conf conf/ssl logs);
    copy('/etc/nginx/mime.types', "$dir/conf/mime.types")
        or die "copy mime.types: $!";

    system("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=t"
           . " -keyout $dir/conf/ssl/ndes-edge.key"
           . " -out $dir/conf/ssl/ndes-edge.crt 2>/dev/null") == 0
        or die "openssl req failed";
    copy("$dir/conf/ssl/ndes-edge.crt", "$dir/conf/ssl/ndes-ca.pem")
        or die "copy: $!";

    return $dir;
}

# What differs from a Debian machine with the package, on the text in $_:
# the module is the one built here (-g load_module below, not Debian's
# modules-enabled, which may not be this nginx's), the files are under the
# prefix, and "user" is only for root.
sub debian_paths {
    my ($dir) = @_;

    s{^\s*include\s+/etc/nginx/modules-enabled/\*\.conf;\n}{}m;
    s{/etc/nginx/}{$dir/conf/}g;
    s{/var/log/nginx/}{$dir/logs/}g;
    s{/run/nginx\.pid}{$dir/logs/nginx.pid}g;
    s{^\s*user\s+[^;]+;\n}{}m if $> != 0;

    # "listen ... http2" is deprecated from nginx 1.25.1, for what the
    # comment above the listen line says
    if (nginx_version() >= 1025001) {
        s/^(\s*)(listen\s+443 ssl) http2;\n/$1$2;\n$1http2 on;\n/mg;
    }
}

sub nginx_t {
    my ($dir, $conf, $what) = @_;

    # -T: -t, then the configuration as read, each file under its name
    my $out = `$nginx -T -p $dir/ -c $conf -e $dir/logs/error.log -g 'load_module $module;' 2>&1`;
    is($?, 0, "nginx -t $what") or diag($out);
    like($out, qr/syntax is ok/, "$what: syntax is ok");
    unlike($out, qr/\[(?:warn|emerg|alert|crit)\]/, "$what: no warning");

    return $out;
}

# the directive lines of a file, without comments and indentation
sub directives {
    my ($file) = @_;

    open my $in, '<', $file or die "$file: $!";
    my @lines = grep { length } map { s/#.*//r =~ s/^\s+|\s+$//gr } <$in>;
    close $in;

    return @lines;
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
