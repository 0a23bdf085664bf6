# Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE.
# certmonger's prelude: its scep-submit helper asks GetCACaps and walks
# GetCACert message=0, message=1 (NDES-NOTES), without a User-Agent; the
# identifiers it walks are indexes, not a CA's name, and do not split the
# device's flow.  Here on connections that each close after their request.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use ScepTest;

our $Server = scep_server(challenge => 'certmonger-challenge');

default_config(<<'_EOC_');
    location /certsrv/mscep/ {
        scep on;
        scep_flow devices;
        rewrite ^ /scep break;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SCEP_PORT;
    }
_EOC_

no_shuffle();
run_tests();
check_records();

__DATA__

=== TEST 1: GetCACaps, GetCACert message=0 and message=1, no User-Agent, each on its own connection: one flow, joined by address
--- http_config
    scep_flow_zone devices:1m;
--- init
for my $q ('GetCACaps&message=0', 'GetCACert&message=0') {
    ScepTest::fetch("GET /certsrv/mscep/mscep.dll?operation=$q") =~ m{^HTTP/1\.1 200 }
        or die "$q: not 200";
}
--- request
GET /certsrv/mscep/mscep.dll?operation=GetCACert&message=1
--- record eval
{ scep => { operation => 'GetCACert', ca_ident => '1',
            flow => { step => 3, joined_by => 'address' } } }



=== TEST 2: a named CA identifier still tells two devices behind one address apart
--- http_config
    scep_flow_zone devices:1m;
--- init
ScepTest::fetch('GET /certsrv/mscep/mscep.dll?operation=GetCACert&message=ca-devices') =~ m{^HTTP/1\.1 200 }
    or die "not 200";
--- request
GET /certsrv/mscep/mscep.dll?operation=GetCACert&message=ca-users
--- record eval
{ scep => { ca_ident => 'ca-users', flow => { step => 1, joined_by => 'new' } } }



=== TEST 3: certmonger as it is: scep-submit -c, then -C, through nginx to the real scepserver: GetCACaps, GetCACert message=0 and message=1, one flow
--- http_config
    scep_flow_zone devices:1m;
--- init
my $url = "http://127.0.0.1:" . server_port() . "/certsrv/mscep/mscep.dll";
my $caps = `/usr/lib/certmonger/scep-submit -u $url -c 2>&1`;
my $certs = `/usr/lib/certmonger/scep-submit -u $url -C 2>&1`;
my $log = Test::Nginx::Util::server_root() . '/logs/access.log';
# the last record reaches the log in nginx's log phase, a little after
# scep-submit has its answer: wait for the three, up to 5 s
my @lines;
for (1 .. 50) {
    open my $in, '<', $log or die "$log: $!";
    @lines = grep { /"scep":/ } <$in>;
    close $in;
    last if @lines >= 3;
    select undef, undef, undef, 0.1;
}
my @flows = map { /"operation":"(\w+)","client":"certmonger","ca_ident":"(\d)".*"flow":\{"id":"(\w+)","step":(\d+),.*"joined_by":"(\w+)"/
                  ? "$1 $2 $4 $5 " . ($3 eq ($main::First //= $3) ? 'same' : 'other') : () } @lines;
ScepTest::report($caps =~ /^POSTPKIOperation$/m ? () : "GetCACaps: $caps",
                 $certs =~ /-----BEGIN CERTIFICATE-----/ ? () : "GetCACert: $certs",
                 join(', ', @flows) eq 'GetCACaps 0 1 new same, GetCACert 0 2 address same, GetCACert 1 3 address same'
                 ? () : "flows: " . join(', ', @flows));
--- request
GET /check
--- response_body
ok
