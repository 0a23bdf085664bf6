# Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE.
# The RA state an upstream's GetCACert answer showed is shared by all
# workers: with two workers, every later 500 of that upstream is diagnosed
# as the expired RA certificate, whichever worker takes it.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use ScepTest;

$ENV{TEST_NGINX_DATA} = "$ScepTest::Top/t/data";

master_on();
workers(2);
no_shuffle();
run_tests();
check_records();

__DATA__

=== TEST 1: one GetCACert, then 500s on fresh connections
--- config
    location /certsrv/mscep/ {
        scep on;
        add_header X-Scep-Diagnosis $scep_diagnosis always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/data/;
    }
--- ndes eval
{ file => 'getcacert-ra-expired.der', type => 'application/x-x509-ca-ra-cert',
  first => <<'_EOC_' }
if ($arg_operation = GetCACaps) {
    return 500 "MSCEP error\n";
}
_EOC_
--- request eval
["GET /certsrv/mscep/mscep.dll?operation=GetCACert&message=ca",
 map { "GET /certsrv/mscep/mscep.dll?operation=GetCACaps&message=ca" } 1 .. 8]
--- error_code eval
[200, (500) x 8]
--- response_headers eval
["X-Scep-Diagnosis: ", ("X-Scep-Diagnosis: ndes_ra_cert_expired") x 8]
