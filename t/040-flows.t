# Device flows: the requests of one device's enrolment share a flow id,
# with steps 1, 2, 3 and the sequence so far, whichever of two workers
# takes each request; another device gets another flow.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use ScepTest;

our $Server = scep_server(challenge => 'flow-challenge');

default_config(<<'_EOC_');
    large_client_header_buffers 4 64k;

    location /certsrv/mscep/ {
        scep on;
        scep_flow devices;
        rewrite ^ /scep break;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SCEP_PORT;
    }
_EOC_

master_on();
workers(2);
no_shuffle();
run_tests();
check_records();

# scepclient's requests: one flow, steps 1, 2, 3; the Android device's,
# each on a new connection and so on either worker: another flow, 1 to 4
my (%flows, @order);
open my $in, '<', $ScepTest::Records or die $!;
while (<$in>) {
    my $rec = JSON::PP->new->decode($_);
    my $flow = $rec->{scep}{flow} or next;
    push @order, $flow->{id} unless $flows{ $flow->{id} };
    push @{ $flows{ $flow->{id} } },
         [$flow->{step}, $rec->{scep}{operation}, scalar @{ $flow->{sequence} }];
}
close $in;

is(scalar @order, 2, "$0 - two devices, two flows");
is_deeply($flows{ $order[0] },
          [[1, 'GetCACert', 1], [2, 'GetCACaps', 2], [3, 'PKIOperation', 3]],
          "$0 - scepclient's flow: GetCACert, GetCACaps, PKIOperation as steps 1, 2, 3");
is_deeply($flows{ $order[1] // '' },
          [[1, 'GetCACert', 1], [2, 'GetCACaps', 2], [3, 'GetCACaps', 3],
           [4, 'GetCACaps', 4]],
          "$0 - the Android device's own flow, steps 1 to 4 across workers");

__DATA__

=== TEST 1: a device enrols; another one asks for the CA and its caps, on fresh connections
--- http_config
    scep_flow_zone devices:1m timeout=10m;
--- init
ScepTest::enrol(server => $main::Server, challenge => 'flow-challenge',
                cn => 'device-a',
                url => "http://127.0.0.1:" . server_port()
                       . "/certsrv/mscep/mscep.dll",
                result => html_dir() . "/device-a");
--- request eval
["GET /device-a",
 "GET /certsrv/mscep/mscep.dll?operation=GetCACert&message=ca",
 ("GET /certsrv/mscep/mscep.dll?operation=GetCACaps&message=ca") x 3]
--- more_headers eval
["", ("User-Agent: Dalvik/2.1.0 (Linux; U; Android 5.0; P01M Build/LRX21V)") x 4]
--- error_code eval
[(200) x 5]
--- response_body_like eval
[qr/^issued$/, (qr/./) x 4]
--- access_log eval
qr{"flow":\{"id":"[0-9a-f]{16}","step":3,"sequence":\["GetCACert","GetCACaps","PKIOperation"\]\}}
--- no_error_log
[error]
[alert]
