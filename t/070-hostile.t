# Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE.
# Hostile input and misbehaving peers: each malformed request gets a clear
# 4xx with its reason and a valid record, nothing malformed reaches the
# upstream, and the workers keep answering.  The scep_metrics counters
# show what was forwarded (scep_upstream_status_total) and what rejected.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use IO::Socket::INET;
use MIME::Base64 ();
use POSIX ();
use Socket ();
use ScepTest;

$ENV{TEST_NGINX_DATA} = "$ScepTest::Top/t/data";
$ENV{TEST_NGINX_H2_PORT} = ScepTest::free_port();

our $Real = ScepTest::message('scepclient-pkcsreq.der');

# An upstream that breaks off: for each connection, the headers of a
# GetCACert answer and the first 1000 of its bytes, then a reset.
$ENV{TEST_NGINX_RESET_PORT} = ScepTest::free_port();

my $resetter = fork // die "fork: $!";

if ($resetter == 0) {
    my $body = ScepTest::message('getcacert-ca-ra.der');
    my $l = IO::Socket::INET->new(LocalAddr => '127.0.0.1', Listen => 8,
                                  LocalPort => $ENV{TEST_NGINX_RESET_PORT},
                                  ReuseAddr => 1) or POSIX::_exit(1);

    while (my $c = $l->accept) {
        sysread $c, my $req, 65536;
        syswrite $c, "HTTP/1.1 200 OK\r\nContent-Type: application/x-x509-ca-ra-cert\r\n"
                     . 'Content-Length: ' . length($body) . "\r\n\r\n"
                     . substr($body, 0, 1000);
        select undef, undef, undef, 0.1;
        setsockopt $c, Socket::SOL_SOCKET(), Socket::SO_LINGER(), pack('ii', 1, 0);
        close $c;
    }

    POSIX::_exit(0);
}

ScepTest::wait_port($ENV{TEST_NGINX_RESET_PORT});
END { kill 'TERM', $resetter if $resetter }

# ndes(): NDES stand-in at /ndes/, answering GetCACaps from t/data
default_config(<<'_EOC_' . ndes(file => 'getcacaps-ndes.txt', at => '/ndes/'));
    large_client_header_buffers 4 128k;

    location /certsrv/mscep/ {
        scep on;
        scep_flow devices;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/;
    }

    location /slow/ {
        scep on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/big/;
    }

    location /big/ {
        limit_rate 64k;
    }

    location /unavailable/ {
        scep on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/status503/;
    }

    location /status503/ {
        return 503;
    }

    location /reset/ {
        scep on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_RESET_PORT/;
    }

    location = /metrics {
        scep_metrics;
    }

_EOC_

add_block_preprocessor(sub {
    my $block = shift;

    $block->set_value('http_config', <<"_EOC_" . ($block->http_config // ''));
    scep_flow_zone devices:1m;

    server {
        @{[ http2_listen('127.0.0.1:$TEST_NGINX_H2_PORT') ]}
        large_client_header_buffers 4 64k;
        access_log logs/access.log scep_json if=\$scep_log_json;
        access_log $ScepTest::Records scep_json if=\$scep_log_json;

        location /certsrv/mscep/ {
            scep on;
            proxy_pass http://127.0.0.1:\$TEST_NGINX_SERVER_PORT/ndes/;
        }
    }
_EOC_
});

no_shuffle();
run_tests();
check_records();


# What the metrics say of the requests so far: [forwarded, rejected]
sub ScepTest::counts {
    my ($bad, $m) = ScepTest::metrics();
    die "metrics: @$bad" if @$bad;
    my ($up, $rej) = (0, 0);
    for my $k (keys %$m) {
        $up += $m->{$k} if $k =~ /^scep_upstream_status_total/;
        $rej += $m->{$k} if $k =~ /^scep_rejects_total/;
    }
    return ($up, $rej);
}

sub ScepTest::post {
    my ($body, @headers) = @_;
    return join "\r\n", 'POST /certsrv/mscep/mscep.dll?operation=PKIOperation HTTP/1.1',
                        'Host: localhost', @headers,
                        'Content-Length: ' . length($body), '', $body;
}

__DATA__

=== TEST 1: the real PKCSReq cut at every byte offset, over POST: each rejected with a reason, none forwarded
--- init
my $n = length $main::Real;
my @res = ScepTest::keepalive(map { ScepTest::post(substr($main::Real, 0, $_)) } 0 .. $n - 1);
my @problems;
for my $i (0 .. $#res) {
    my ($status, $body) = @{ $res[$i] };
    push @problems, "offset $i: $status $body"
        unless $status == 400 && $body =~ /^(missing_message|not_cms|truncated): \S/;
}
my ($up, $rej) = ScepTest::counts();
push @problems, "$up forwarded" if $up;
push @problems, "$rej rejected, not $n" if $rej != $n;
ScepTest::report(@problems);
--- request
GET /check
--- response_body
ok
--- no_error_log
[alert]
[crit]
[emerg]



=== TEST 2: too long, too large, too deep: a 70 KB URI, 1 MB bodies, lengths of 2^31 and 2^63, 10 000 levels
--- init
my @sent = (
    ['GET /certsrv/mscep/mscep.dll?operation=PKIOperation&message=' . ('A' x 70000) . " HTTP/1.1\r\nHost: x\r\n\r\n",
     414, 'uri_too_long'],
    [ScepTest::post('0' x 1048576), 413, 'message_too_large'],
    ["POST /certsrv/mscep/mscep.dll?operation=PKIOperation HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
     . join('', map { sprintf("%x\r\n", 65536) . ('0' x 65536) . "\r\n" } 1 .. 16) . "0\r\n\r\n",
     413, 'message_too_large'],
    [ScepTest::post(ScepTest::message('bad-length-2g.der')), 400, 'truncated'],
    [ScepTest::post(ScepTest::message('bad-length-2e63.der')), 400, 'truncated'],
    [ScepTest::post(ScepTest::message('bad-deep.der')), 400, 'not_cms'],
);
my @problems;
for my $s (@sent) {
    my ($res) = ScepTest::keepalive($s->[0]);
    push @problems, "$s->[2]: $res->[0] $res->[1]"
        unless $res->[0] == $s->[1] && $res->[1] =~ /^\Q$s->[2]\E: \S/;
}
my ($up) = ScepTest::counts();
push @problems, "$up forwarded" if $up;
ScepTest::report(@problems);
--- request
GET /check
--- response_body
ok
--- no_error_log
[alert]
[crit]



=== TEST 3: garbage in the query: random base64, bad escapes, duplicated and empty parameters
--- init
srand(8894);
my $random = join '', map { chr int rand 256 } 1 .. 3000;
my $p = '/certsrv/mscep/mscep.dll';
my @sent = (
    ["$p?operation=PKIOperation&message=" . MIME::Base64::encode_base64($random, '') =~ s/([+\/=])/sprintf '%%%02X', ord $1/ger,
     400, qr/^not_cms: /],
    ["$p?operation=PKIOperation&message=MIIB%zz%4", 400, qr/^bad_encoding: /],
    ["$p?operation=PKIOperation&message=%%%", 400, qr/^bad_encoding: /],
    ["$p?operation=PKIOperation&message=", 400, qr/^missing_message: /],
    ["$p?operation=&message=ca", 400, qr/^unknown_operation: /],
    ["$p?operation=GetCACaps&operation=Evil&message=ca", 400, qr/^ambiguous_query: /],
    ["$p?operation=Evil&operation=GetCACaps&message=ca", 400, qr/^ambiguous_query: /],
    ["$p?message=ca&message=cb", 400, qr/^ambiguous_query: /],
    ["$p??operation=GetCACaps&message=ca", 200, qr/POSTPKIOperation/],
    ["$p?operation=GetCACert%00&message=ca", 400, qr/^unknown_operation: /],
);
my @problems;
for my $s (@sent) {
    my ($res) = ScepTest::keepalive("GET $s->[0] HTTP/1.1\r\nHost: x\r\n\r\n");
    push @problems, substr($s->[0], 0, 60) . ": $res->[0] $res->[1]"
        unless $res->[0] == $s->[1] && $res->[1] =~ $s->[2];
}
ScepTest::report(@problems);
--- request
GET /check
--- response_body
ok
--- no_error_log
[alert]
[crit]



=== TEST 4: NUL and invalid UTF-8 in the transaction ID and the User-Agent of a PKIOperation
(not PrintableString: a 400 bad_transaction_id, and a record that says what
came; nginx itself refuses a NUL in a header line, with a record too)
--- init
(my $msg = ScepTest::message('pkcsreq-sha256.der')) =~ s/9C1772A8/9C\x00\xff\xc3\x28A8/ or die;
my ($res) = ScepTest::keepalive(ScepTest::post($msg, "User-Agent: a\x01b\xff\xfe"));
my ($nul) = ScepTest::keepalive(ScepTest::post($msg, "User-Agent: a\x00b"));
ScepTest::report($res->[0] == 400 && $res->[1] =~ /^bad_transaction_id: / ? () : "$res->[0] $res->[1]",
                 $nul->[0] == 400 ? () : "NUL in User-Agent: $nul->[0]");
--- request
GET /check
--- response_body
ok
--- access_log eval
[qr{"user_agent":\{"original":"a\\u0001b\xef\xbf\xbd\xef\xbf\xbd"\}.*"transaction_id":"9C\\u0000\xef\xbf\xbd\xef\xbf\xbd\(A8FC4F148942002741E35CEFDE7C69796E".*"reject":\{"reason":"bad_transaction_id"},
 qr{"http":\{"request":\{"method":"POST".*"response":\{"status_code":400,.*"scep":\{"operation":"PKIOperation","client":"other"\}}]



=== TEST 5: HTTP/2: GetCACaps and a PKIOperation POST
--- init
my $url = "http://127.0.0.1:$ENV{TEST_NGINX_H2_PORT}/certsrv/mscep/mscep.dll";
my $caps = `curl -s --http2-prior-knowledge -w '%{http_version} %{http_code}' '$url?operation=GetCACaps&message=ca'`;
my $bad = `curl -s --http2-prior-knowledge -w ' %{http_version} %{http_code}' --data-binary garbage -H 'Content-Type: application/x-pki-message' '$url?operation=PKIOperation'`;
my @problems;
push @problems, "GetCACaps: $caps" unless $caps =~ /POSTPKIOperation.*2 200\z/s;
push @problems, "PKIOperation: $bad" unless $bad =~ /^not_cms: .* 2 400\z/s;
ScepTest::report(@problems);
--- request
GET /check
--- response_body
ok
--- access_log eval
[qr{"http":\{"request":\{"method":"GET","bytes":\d+\},"response":\{"status_code":200,.*"scep":\{"operation":"GetCACaps"},
 qr{"http":\{"request":\{"method":"POST","bytes":\d+\},"response":\{"status_code":400,.*"reject":\{"reason":"not_cms"}]



=== TEST 6: pipelined HTTP/1.1 requests: three in one write, three answers, three records
--- init
my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => server_port()) or die $!;
my $p = '/certsrv/mscep/mscep.dll';
print $s "GET $p?operation=GetCACaps&message=ca HTTP/1.1\r\nHost: x\r\nUser-Agent: pipeline\r\n\r\n"
       . ScepTest::pkiop_get($main::Real) . " HTTP/1.1\r\nHost: x\r\nUser-Agent: pipeline\r\n\r\n"
       . "GET $p?operation=Nope HTTP/1.1\r\nHost: x\r\nUser-Agent: pipeline\r\nConnection: close\r\n\r\n";
my $all = do { local $/; <$s> };
my @status = $all =~ m{^HTTP/1\.1 (\d{3}) }mg;
ScepTest::report("@status" eq '200 200 400' ? () : "statuses: @status");
--- request
GET /check
--- response_body
ok
--- access_log eval
[qr{"user_agent":\{"original":"pipeline"\}.*"scep":\{"operation":"GetCACaps".*"flow":\{"id":"([0-9a-f]{16})","step":1,},
 qr{"user_agent":\{"original":"pipeline"\}.*"scep":\{"operation":"PKIOperation".*"flow":\{"id":"[0-9a-f]{16}","step":2,},
 qr{"user_agent":\{"original":"pipeline"\}.*"reject":\{"reason":"unknown_operation".*"flow":\{"id":"[0-9a-f]{16}","step":3,}]



=== TEST 7: a client that walks away mid-body, and one that walks away mid-response
--- init
my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => server_port()) or die $!;
print $s "POST /certsrv/mscep/mscep.dll?operation=PKIOperation HTTP/1.1\r\nHost: x\r\n"
       . "User-Agent: gone-mid-body\r\nContent-Length: " . length($main::Real) . "\r\n\r\n"
       . substr($main::Real, 0, 1000);
select undef, undef, undef, 0.3;
close $s;

# 1 MB at 64 KB/s, for a client to walk away from
mkdir html_dir() . '/big';
open my $big, '>', html_dir() . '/big/mscep.dll' or die $!;
print $big 'x' x 1048576;
close $big;

$s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => server_port()) or die $!;
print $s "GET /slow/mscep.dll?operation=GetCACert&message=ca HTTP/1.1\r\nHost: x\r\n"
       . "User-Agent: gone-mid-response\r\n\r\n";
sysread $s, my $buf, 4096;
close $s;
select undef, undef, undef, 0.5;

# the workers still answer
my ($res) = ScepTest::keepalive("GET /certsrv/mscep/mscep.dll?operation=GetCACaps&message=ca HTTP/1.1\r\nHost: x\r\n\r\n");
ScepTest::report($res->[0] == 200 ? () : "after the aborts: $res->[0]");
--- request
GET /check
--- response_body
ok
--- access_log eval
[qr{"user_agent":\{"original":"gone-mid-body"\},"http":\{"request":\{"method":"POST",.*"scep":\{"operation":"PKIOperation"(?!.*"upstream")},
 qr{"user_agent":\{"original":"gone-mid-response"\},"http":\{"request":\{"method":"GET",.*"scep":\{"operation":"GetCACert",.*"upstream":\{"addr":"[^"]+","status":200}]
--- no_error_log
[alert]
[crit]



=== TEST 8: a storm of 503s from NDES, then a request that works
--- init
my @res = ScepTest::keepalive(("GET /unavailable/mscep.dll?operation=GetCACaps&message=ca HTTP/1.1\r\nHost: x\r\n\r\n") x 300,
                              "GET /certsrv/mscep/mscep.dll?operation=GetCACaps&message=ca HTTP/1.1\r\nHost: x\r\n\r\n");
my @status = map { $_->[0] } @res;
my $last = pop @status;
my @problems = grep { $_ != 503 } @status;
ScepTest::report(@problems ? "not 503: @problems" : (), $last == 200 ? () : "then $last");
--- request
GET /check
--- response_body
ok
--- no_error_log
[alert]
[crit]



=== TEST 9: an upstream that resets the connection mid-answer: the client's answer is cut short (what nginx had buffered is never sent), the record says so, the worker goes on
--- init
my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => server_port()) or die $!;
print $s "GET /reset/mscep.dll?operation=GetCACert&message=ca HTTP/1.1\r\nHost: x\r\n"
       . "User-Agent: reset-mid-answer\r\n\r\n";
my $got = '';
while (sysread $s, my $buf, 65536) { $got .= $buf }
close $s;
my ($head, $body) = split /\r\n\r\n/, $got, 2;
my ($len) = $head =~ /Content-Length: (\d+)/i;

my ($res) = ScepTest::keepalive("GET /certsrv/mscep/mscep.dll?operation=GetCACaps&message=ca HTTP/1.1\r\nHost: x\r\n\r\n");
ScepTest::report($head =~ m{^HTTP/1.1 200} ? () : "status line: " . (split /\r\n/, $head)[0],
                 defined $len && length($body // '') < $len
                     ? () : "body: " . length($body // '') . " of " . ($len // 'no Content-Length'),
                 $res->[0] == 200 ? () : "afterwards: $res->[0]");
--- request
GET /check
--- response_body
ok
--- access_log eval
qr{"user_agent":\{"original":"reset-mid-answer"\},.*"scep":\{"operation":"GetCACert",.*"upstream":\{"addr":"127\.0\.0\.1:\d+","status":200,[^\}]*\},"response":\{"undecoded":"incomplete","detail":"the answer stopped after \d+ of 2735 bytes"\}}
--- error_log
(104: Connection reset by peer) while reading upstream
--- no_error_log
[alert]
[crit]
