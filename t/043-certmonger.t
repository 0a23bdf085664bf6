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
