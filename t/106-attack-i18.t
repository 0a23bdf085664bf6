# Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE.
# Attacks on issue 18's changes that found something: each block failed
# before its fix.  scep_observer_name is said to take printable UTF-8
# only, but ngx_utf8_decode() is lenient: it takes a byte of 0xc0 or more
# as a continuation, UTF-16 surrogates, and (before nginx 1.23) a lead
# byte of 0xf8; the record then wrote U+FFFD where the operator's name
# was.  C1 controls (U+0080 .. U+009F: NEL ends a line for some readers)
# are control characters too.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use ScepTest;

$ENV{TEST_NGINX_DATA} = "$ScepTest::Top/t/data";

default_config('');

master_on();
no_shuffle();
run_tests();

__DATA__

=== TEST 1: scep_observer_name: a UTF-16 surrogate is not UTF-8
--- http_config eval
"    scep_observer_name edge-\xed\xa0\x80;\n"
--- config
--- must_die
--- error_log
scep_observer_name has a control character or is not UTF-8



=== TEST 2: scep_observer_name: a lead byte followed by lead bytes
--- http_config eval
"    scep_observer_name edge-\xe1\xc1\xc1;\n"
--- config
--- must_die
--- error_log
scep_observer_name has a control character or is not UTF-8



=== TEST 3: scep_observer_name: a five-byte lead byte
--- http_config eval
"    scep_observer_name edge-\xf8\x90\x80\x80;\n"
--- config
--- must_die
--- error_log
scep_observer_name has a control character or is not UTF-8



=== TEST 4: scep_observer_name: a C1 control (NEL) is a control character
--- http_config eval
"    scep_observer_name edge-\xc2\x85b;\n"
--- config
--- must_die
--- error_log
scep_observer_name has a control character or is not UTF-8



=== TEST 5: an NDES taken out of the configuration leaves no certificate gauge
An edge reloaded without an NDES (decommissioned, or its address changed)
kept its certificates in scep_ra_state, and scep_certificate_not_after_seconds
showed them until a restart: ScepCertificateExpiringSoon, and in time
ScepCertificateExpired (critical), fire for a server no longer there.
--- config
    location /certsrv/mscep/ {
        scep on;
        proxy_pass http://127.0.0.2:$TEST_NGINX_SERVER_PORT/data/;
    }

    location /data/ {
        root $TEST_NGINX_DATA;
        rewrite ^ /getcacert-ca-ra.der break;
    }

    location = /metrics {
        scep_metrics;
    }
--- init
$ENV{TEST_NGINX_DATA} or die;
my $gauges = sub {
    my $r = ScepTest::fetch('GET /certsrv/mscep/mscep.dll?operation=GetCACert&message=ca');
    die "GetCACert: " . substr($r, 0, 80) unless $r =~ m{^HTTP/1\.1 200 };
    my ($bad, $samples) = ScepTest::metrics();
    die "@$bad" if @$bad;
    my %up;
    $up{$_}++ for map { /^scep_certificate_not_after_seconds\{upstream="([^"]+)"/ ? $1 : () }
                  keys %$samples;
    return join ' ', map { "$_:$up{$_}" } sort keys %up;
};

my $port = server_port();
my @problems;
my $before = $gauges->();
push @problems, "before: $before" unless $before eq "127.0.0.2:$port:3";

# the same configuration, but NDES has moved to another address
my $conf = server_root() . '/conf/nginx.conf';
open my $in, '<', $conf or die $!;
my $text = do { local $/; <$in> };
close $in;
$text =~ s/127\.0\.0\.2:/127.0.0.3:/g or die "no 127.0.0.2 in $conf";
open my $out, '>', $conf or die $!;
print $out $text;
close $out;

open my $pidfile, '<', server_root() . '/logs/nginx.pid' or die $!;
chomp(my $pid = <$pidfile>);
kill 'HUP', $pid or die "HUP: $!";
select undef, undef, undef, 1.5;

my $after = $gauges->();
push @problems, "after the reload: $after" unless $after eq "127.0.0.3:$port:3";
ScepTest::report(@problems);
--- request
GET /check
--- response_body
ok
