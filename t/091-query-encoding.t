# Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE.
# How the client encoded its GET message: scep.message.query_encoding,
# base64url, a message cut on its way (every residue of its base64 length
# modulo 4, and the 829 characters of Microsoft's article), and
# scep_normalize_message, against stand-ins and the real scepserver, which
# form-decodes the query (a raw '+' becomes a space) and knows the
# standard alphabet only.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use File::Temp ();
use JSON::PP ();
use MIME::Base64 ();
use ScepTest;

our $Server = scep_server(challenge => 'enc-challenge');

$ENV{TEST_NGINX_DATA} = "$ScepTest::Top/t/data";
$ENV{TEST_NGINX_UP_PORT} = ScepTest::free_port();
$ENV{TEST_NGINX_CAPTURE} = File::Temp::tempdir(CLEANUP => 1);

our $Req = message('pkcsreq-sha256.der');   # DER, 2588 bytes
our $Ios = message('ios-pkcsreq-ber.der');  # BER, indefinite lengths
our $Path = '/certsrv/mscep/mscep.dll';

sub b64 { return MIME::Base64::encode_base64($_[0], '') }

sub escape { return $_[0] =~ s/([^A-Za-z0-9])/sprintf('%%%02X', ord $1)/ger }

# what scep_normalize_message forwards
sub canonical {
    return b64($_[0]) =~ s/\+/%2B/gr =~ s{/}{%2F}gr =~ s/=/%3D/gr;
}

# as micromdm's scepclient sends it over GET
sub base64url { return b64($_[0]) =~ tr{+/}{-_}r =~ s/=/%3D/gr }

sub get { return "GET $_[1]?operation=PKIOperation&message=$_[0]" }

# the first $n characters of the base64, percent-encoded
sub cut { return get(escape(substr(b64($_[0]), 0, $_[1])), $Path) }

sub records {
    open my $in, '<', $ScepTest::Records or die $!;
    my @lines = <$in>;
    close $in;
    return @lines;
}

# the record of the first PKIOperation after the first $seen records: a
# client that has its answer may be done before nginx's log phase wrote
# it, so it is waited for, up to 5 s
sub pkiop_record {
    my ($seen) = @_;
    for (1 .. 50) {
        my @lines = records();
        for my $line (@lines[$seen .. $#lines]) {
            my $rec = JSON::PP->new->decode($line);
            return $rec if $rec->{scep}{operation} eq 'PKIOperation';
        }
        select undef, undef, undef, 0.1;
    }
    die "no record of the PKIOperation";
}

# what a real client's PKIOperation came to, as one line; 'percent' is
# left out: a '=' padding, which %3D escapes, depends on the key's size
sub outcome {
    my ($status, $rec) = @_;
    my $m = $rec->{scep}{message} // {};
    return join(' ', $status,
                join(',', grep { $_ ne 'percent' } @{ $m->{query_encoding} // [] }),
                $m->{normalized} ? 'normalized' : 'as-sent',
                $rec->{scep}{response}{pki_status} // '-',
                $rec->{scep}{diagnosis}{code} // '-') . "\n";
}

our $Caps = 'return 200 "SHA-256\nAES\n";';

default_config(<<'_EOC_');
    large_client_header_buffers 4 64k;

    location /certsrv/mscep/ {
        scep on;
        add_header X-Scep-Diagnosis $scep_diagnosis always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/;
    }

    location /ndes/ {
        return 200 "ndes: $request_uri\n";
    }
_EOC_

no_shuffle();
run_tests();
check_records();


# the guide's queries of the client's encoding faults, run as written
# against this file's records, as t/060-soc-guide.t runs the others
my $guide = do {
    local $/;
    open my $g, '<', "$ScepTest::Top/docs/soc-guide.md" or die $!;
    <$g>;
};

my %query;
while ($guide =~ m{<!-- query: ([\w-]+) in t/091-query-encoding\.t -->\n```sh\n(.*?)```}sg) {
    $query{$1} = $2;
}

is_deeply([sort keys %query], ['client-encoding', 'cut-messages'],
          "$0 - the guide's queries of this file");

sub run_query {
    my ($name) = @_;
    local $ENV{LOG} = $ScepTest::Records;
    open my $sh, '-|', 'bash', '-e', '-o', 'pipefail', '-c',
                       "exec 2>&1\n$query{$name}" or die "bash: $!";
    my $out = do { local $/; <$sh> } // '';
    close $sh;
    is($? >> 8, 0, "$0 - $name runs") or Test::More::diag($out);
    return $out;
}

my $out = run_query('client-encoding');
like($out, qr{^\s*1 Go-http-client/1\.1\tbase64url\tas-sent\t500\tclient_base64url$}m,
     "$0 - client-encoding: scepclient's base64url the scepserver failed");
like($out, qr{^\s*1 Go-http-client/1\.1\tbase64url\tnormalized\t200\t-$}m,
     "$0 - client-encoding: and issued once normalised");
like($out, qr{^\s*2 -\traw_plus\tas-sent\t500\tclient_raw_plus$}m,
     "$0 - client-encoding: the raw '+' the stand-in and the scepserver failed");
like($out, qr{^\s*1 profiled/1\.0 CFNetwork/811\.5\.4 Darwin/16\.6\.0\ttruncated\tas-sent\t400\tmessage_truncated$}m,
     "$0 - client-encoding: the iOS message cut on its way");

$out = run_query('cut-messages');
like($out, qr{^[\d-]+T[\d:.]+Z\t127\.0\.0\.1\tprofiled/1\.0 CFNetwork/811\.5\.4 Darwin/16\.6\.0\t621\t-\t\d+$}m,
     "$0 - cut-messages: the 829 characters of the article, 621 bytes, no declared size");
like($out, qr{^[\d-]+T[\d:.]+Z\t127\.0\.0\.1\t-\t1500\t2588\t\d+$}m,
     "$0 - cut-messages: a DER message, 1500 of its 2588 bytes");

__DATA__

=== TEST 1: what each client's GET showed, in the table's order
--- request eval
[main::get(main::escape(main::b64($main::Req)), $main::Path),
 main::get(main::b64($main::Req), $main::Path),
 main::get(main::b64($main::Req) =~ s/\+/%20/gr, $main::Path),
 main::get(main::base64url($main::Req), $main::Path),
 main::get(main::escape(main::b64($main::Req) =~ s/(.{64})/$1\r\n/gr), $main::Path),
 main::get(main::b64($main::Req) =~ s/(.{64})/$1\n/gr =~ s/\n/%0A/gr =~ s/=/%3D/gr, $main::Path)]
--- response_body_like eval
[("^ndes: /ndes/mscep.dll\\?operation=PKIOperation&message=") x 6]
--- record eval
[map { { scep => { message => { query_encoding => $_, size => length $main::Req,
                                transaction_id => '9C1772A8FC4F148942002741E35CEFDE7C69796E',
                                normalized => ScepTest::absent },
                   reject => ScepTest::absent } } }
 ['percent'], ['raw', 'raw_plus'], ['raw', 'raw_plus'],
 ['percent', 'base64url'], ['percent', 'line_breaks'],
 ['percent', 'raw', 'raw_plus', 'line_breaks']]
--- no_error_log
[error]



=== TEST 2: base64url is decoded (it was 400 bad_encoding), its transactionID recorded, forwarded as it came
--- request eval
main::get(main::base64url($main::Req), $main::Path)
--- response_body eval
"ndes: " . main::get(main::base64url($main::Req), '/ndes/mscep.dll') =~ s/^GET //r . "\n"
--- record eval
{ scep => { message => ScepTest::message_fields('pkcsreq-sha256.der', 'get',
                                                ['percent', 'base64url']),
            # no client_base64url: the upstream took it; the fixture's
            # signingTime is 2026-01-15, and that is the one diagnosis
            reject => ScepTest::absent,
            diagnosis => { code => 'device_clock_behind' } } }
--- no_error_log
[error]



=== TEST 3: both alphabets in one message: each character means one thing, accepted
--- request eval
main::get(substr(main::b64($main::Req), 0, 1724) . substr(main::base64url($main::Req), 1724), $main::Path)
--- response_body_like: ^ndes: 
--- record eval
{ scep => { message => ScepTest::message_fields('pkcsreq-sha256.der', 'get',
                                                ['percent', 'raw', 'raw_plus', 'base64url']) } }
--- no_error_log
[error]



=== TEST 4: a DER message cut at each residue of its base64 length modulo 4: truncated, with the bytes decoded and those declared
--- request eval
[map { main::cut($main::Req, $_) } 2000 .. 2003]
--- error_code eval
[400, 400, 400, 400]
--- response_body_like eval
["^truncated: (?!.*not base64)",
 "^truncated: the base64 ends one character into a group: cut after 1500 bytes of the 2588 the message declares\$",
 "^truncated: (?!.*not base64)",
 "^truncated: (?!.*not base64)"]
--- response_headers eval
[("X-Scep-Diagnosis: message_truncated") x 4]
--- record eval
[map { { scep => {
    message   => ScepTest::exact({ encoding => 'der', size => $_, declared_size => 2588,
                                   transport => 'get', query_encoding => ['percent'] }),
    reject    => { reason => 'truncated', enforced => JSON::PP::true },
    upstream  => ScepTest::absent,
    diagnosis => { code => 'message_truncated', hint => qr/cut it/ },
} } } 1500, 1500, 1501, 1502]
--- no_error_log
[error]



=== TEST 5: the iOS message (BER, indefinite lengths) cut at each residue: truncated, no declared size to give
--- request eval
[map { main::cut($main::Ios, $_) } 4000 .. 4003]
--- error_code eval
[400, 400, 400, 400]
--- response_body_like eval
["^truncated: (?!.*not base64)",
 "^truncated: the base64 ends one character into a group: cut after 3000 bytes of a message of indefinite length \\(BER\\)\$",
 "^truncated: (?!.*not base64)",
 "^truncated: (?!.*not base64)"]
--- record eval
[map { { scep => {
    message   => ScepTest::exact({ encoding => 'ber', size => $_, transport => 'get',
                                   query_encoding => ['percent'] }),
    reject    => { reason => 'truncated' },
    diagnosis => { code => 'message_truncated' },
} } } 3000, 3000, 3001, 3002]
--- no_error_log
[error]



=== TEST 6: the iOS message as Microsoft's article prints it: 829 characters, mid-group ('j' is base64)
--- request eval
main::cut($main::Ios, 829)
--- more_headers
User-Agent: profiled/1.0 CFNetwork/811.5.4 Darwin/16.6.0
--- error_code: 400
--- response_body
truncated: the base64 ends one character into a group: cut after 621 bytes of a message of indefinite length (BER)
--- record eval
{ scep => { message => { size => 621, declared_size => ScepTest::absent },
            reject => { reason => 'truncated' },
            diagnosis => { code => 'message_truncated' } } }



=== TEST 7: hostile: one character alone, a cut after sscep's line breaks, a stray character after a whole message
--- request eval
[main::get('A', $main::Path),
 main::get(main::escape(substr(main::b64($main::Req), 0, 2001) =~ s/(.{64})/$1\n/gr . "\n"), $main::Path),
 main::get(main::escape(main::b64($main::Ios)) . 'A', $main::Path),
 main::get(main::escape(main::b64($main::Req) =~ s/=//r) . 'AA', $main::Path)]
--- error_code eval
[400, 400, 400, 400]
--- response_body eval
["truncated: the base64 ends one character into a group: cut after 0 bytes\n",
 "truncated: the base64 ends one character into a group: cut after 1500 bytes of the 2588 the message declares\n",
 "bad_encoding: the base64 ends with a single character after the whole message (6495 bytes decoded)\n",
 "bad_encoding: the base64 ends with a single character after the whole message (2589 bytes decoded)\n"]
--- record eval
[{ scep => { message => { size => 0 }, reject => { reason => 'truncated' } } },
 { scep => { message => { size => 1500, query_encoding => ['percent', 'line_breaks'] },
             reject => { reason => 'truncated' } } },
 { scep => { message => { size => 6495, type => 'PKCSReq' }, reject => { reason => 'bad_encoding' } } },
 { scep => { message => { size => 2589, declared_size => 2588 }, reject => { reason => 'bad_encoding' } } }]



=== TEST 8: scep_normalize_message on, proxy_pass with a URI: the message re-encoded, the other parameters byte for byte
--- config
    large_client_header_buffers 4 64k;

    location /certsrv/mscep/ {
        scep on;
        scep_normalize_message on;
        add_header X-Args $args always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/;
    }

    location /ndes/ {
        return 200 "ndes: $request_uri\n";
    }
--- request eval
"GET $main::Path?x=a+b%2B&operation=PKIOperation&message=" . main::b64($main::Req) . "&y=%7e&&z"
--- response_body eval
"ndes: /ndes/mscep.dll?x=a+b%2B&operation=PKIOperation&message=" . main::canonical($main::Req) . "&y=%7e&&z\n"
--- response_headers eval
"X-Args: x=a+b%2B&operation=PKIOperation&message=" . main::canonical($main::Req) . "&y=%7e&&z"
--- record eval
{ scep => { message => { query_encoding => ['raw', 'raw_plus'], normalized => JSON::PP::true },
            # no client_raw_plus once normalised; the fixture's old signingTime
            diagnosis => { code => 'device_clock_behind' } },
  url => { query_length => length("x=a+b%2B&operation=PKIOperation&message=" . main::b64($main::Req) . "&y=%7e&&z") } }
--- no_error_log
[error]



=== TEST 9: proxy_pass without a URI sends $request_uri: it is the normalised one; $request stays as the client sent it
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_UP_PORT;
        location / {
            return 200 "up: $request_uri\n";
        }
    }
--- config
    large_client_header_buffers 4 64k;

    location /certsrv/mscep/ {
        scep on;
        scep_normalize_message on;
        add_header X-Request-Uri $request_uri always;
        add_header X-Request $request always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_UP_PORT;
    }
--- request eval
main::get(main::base64url($main::Req), "$main::Path/pkiclient.exe")
--- response_body eval
"up: $main::Path/pkiclient.exe?operation=PKIOperation&message=" . main::canonical($main::Req) . "\n"
--- response_headers eval
"X-Request-Uri: $main::Path/pkiclient.exe?operation=PKIOperation&message=" . main::canonical($main::Req)
. "\nX-Request: " . main::get(main::base64url($main::Req), "$main::Path/pkiclient.exe") . " HTTP/1.1"
--- record eval
{ scep => { message => { query_encoding => ['percent', 'base64url'], normalized => JSON::PP::true } } }
--- no_error_log
[error]



=== TEST 10: after a rewrite (the URI no longer the client's), proxy_pass without a URI sends $uri and the normalised $args
--- http_config
    server {
        listen 127.0.0.1:$TEST_NGINX_UP_PORT;
        location / {
            return 200 "up: $request_uri\n";
        }
    }
--- config
    large_client_header_buffers 4 64k;

    location /certsrv/mscep/ {
        scep on;
        scep_normalize_message on;
        rewrite ^ /scep break;
        proxy_pass http://127.0.0.1:$TEST_NGINX_UP_PORT;
    }
--- request eval
main::get(main::b64($main::Req), $main::Path)
--- response_body eval
"up: /scep?operation=PKIOperation&message=" . main::canonical($main::Req) . "\n"
--- record eval
{ scep => { message => { normalized => JSON::PP::true } } }
--- no_error_log
[error]



=== TEST 11: hostile: a message parameter spelled oddly keeps its name and place; nothing is added, the operation unchanged
--- config
    large_client_header_buffers 4 64k;

    location /certsrv/mscep/ {
        scep on;
        scep_normalize_message on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/;
    }

    location /ndes/ {
        return 200 "ndes: $args\n";
    }
--- request eval
["GET $main::Path?M%65ssage=" . main::b64($main::Req) . "&OPERATION=PKIOperation&message2=%26",
 "GET $main::Path?operation=PKIOperation&message=" . main::b64($main::Req) . "&m%65ssage=AAAA"]
--- error_code eval
[200, 400]
--- response_body eval
["ndes: M%65ssage=" . main::canonical($main::Req) . "&OPERATION=PKIOperation&message2=%26\n",
 "ambiguous_query: more than one parameter names message (letter case folded, the name percent-decoded)\n"]
--- record eval
[{ scep => { message => { normalized => JSON::PP::true } } },
 { scep => { message => ScepTest::absent, reject => { reason => 'ambiguous_query' } } }]



=== TEST 12: only what the decision lets through: a refused message is not forwarded; in monitor mode it goes normalised, a cut one as it came
--- config
    large_client_header_buffers 4 64k;

    location /certsrv/mscep/ {
        scep on;
        scep_normalize_message on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/;
    }

    location /monitor/ {
        scep on;
        scep_reject off;
        scep_normalize_message on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/;
    }

    location /ndes/ {
        return 200 "ndes: $args\n";
    }
--- request eval
[main::get(main::b64(ScepTest::message('bad-signature.der')), $main::Path),
 main::get(main::b64(ScepTest::message('bad-signature.der')), '/monitor/mscep.dll'),
 main::get(substr(main::b64($main::Req), 0, 2001), '/monitor/mscep.dll')]
--- error_code eval
[400, 200, 200]
--- response_body_like eval
["^signature_invalid: ",
 '^' . quotemeta("ndes: operation=PKIOperation&message="
                 . main::canonical(ScepTest::message('bad-signature.der')) . "\n") . '\z',
 '^' . quotemeta("ndes: operation=PKIOperation&message="
                 . substr(main::b64($main::Req), 0, 2001) . "\n") . '\z']
--- record eval
[{ scep => { message => { normalized => ScepTest::absent }, reject => { reason => 'signature_invalid', enforced => JSON::PP::true } } },
 { scep => { message => { normalized => JSON::PP::true }, reject => { reason => 'signature_invalid', enforced => JSON::PP::false } } },
 { scep => { message => { normalized => ScepTest::absent, size => 1500 }, reject => { reason => 'truncated', enforced => JSON::PP::false } } }]



=== TEST 13: a raw '+' and an upstream that fails it: the client's fault; normalised, the failure is the upstream's own
--- config
    large_client_header_buffers 4 64k;

    location /certsrv/mscep/ {
        scep on;
        add_header X-Scep-Diagnosis $scep_diagnosis always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes500/;
    }

    location /normalize/ {
        scep on;
        scep_normalize_message on;
        add_header X-Scep-Diagnosis $scep_diagnosis always;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes500/;
    }

    location /ndes500/ {
        return 500;
    }
--- request eval
[main::get(main::b64($main::Req), $main::Path),
 main::get(main::escape(main::b64($main::Req)), $main::Path),
 main::get(main::b64($main::Req), '/normalize/mscep.dll')]
--- error_code eval
[500, 500, 500]
--- response_headers eval
["X-Scep-Diagnosis: client_raw_plus",
 "X-Scep-Diagnosis: ndes_internal_error",
 "X-Scep-Diagnosis: ndes_internal_error"]
--- record eval
[{ scep => { message => { query_encoding => ['raw', 'raw_plus'] },
             diagnosis => { code => 'client_raw_plus', hint => qr/raw '\+'.*scep_normalize_message on/ } } },
 { scep => { message => { query_encoding => ['percent'] }, diagnosis => { code => 'ndes_internal_error' } } },
 { scep => { message => { query_encoding => ['raw', 'raw_plus'], normalized => JSON::PP::true },
             diagnosis => { code => 'ndes_internal_error' } } }]



=== TEST 14: a POST is never touched
--- config
    large_client_header_buffers 4 64k;
    scep_normalize_message on;

    location /certsrv/mscep/ {
        scep on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/;
    }

    location /ndes/ {
        return 200 "ndes: $request_uri\n";
    }
--- raw_request eval
ScepTest::pkiop_post($main::Req)
--- response_body
ndes: /ndes/mscep.dll?operation=PKIOperation
--- record eval
{ scep => { message => ScepTest::message_fields('pkcsreq-sha256.der', 'post') } }



=== TEST 15: the real scepclient over GET sends base64url; the real scepserver fails it (client_base64url, not NDES's fault), and issues once it is normalised
--- config
    large_client_header_buffers 4 64k;

    location /certsrv/mscep/ {
        scep on;
        add_header X-Scep-Diagnosis $scep_diagnosis always;
        # no POSTPKIOperation: scepclient sends its PKIOperation over GET
        if ($arg_operation = GetCACaps) {
            return 200 "SHA-256\nAES\n";
        }
        rewrite ^ /scep break;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SCEP_PORT;
    }

    location /normalize/ {
        scep on;
        scep_normalize_message on;
        if ($arg_operation = GetCACaps) {
            return 200 "SHA-256\nAES\n";
        }
        rewrite ^ /scep break;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SCEP_PORT;
    }

    location = /outcome {
        alias $TEST_NGINX_CAPTURE/outcome;
    }
--- init
my $base = "http://127.0.0.1:" . server_port();
my $out = '';
for my $at ('/certsrv/mscep/', '/normalize/') {
    my $seen = () = main::records();
    my $verdict = ScepTest::enrol(server => $main::Server, challenge => 'enc-challenge',
                                  url => "$base${at}mscep.dll", cn => "get-$at" =~ tr{/}{}dr,
                                  result => "$ENV{TEST_NGINX_CAPTURE}/result", quiet => 1);
    my $rec = main::pkiop_record($seen);
    $out .= "$verdict " . main::outcome($rec->{http}{response}{status_code}, $rec);
}
open my $fh, '>', "$ENV{TEST_NGINX_CAPTURE}/outcome" or die $!;
print $fh $out;
close $fh;
--- request
GET /outcome
--- response_body
failed 500 base64url as-sent - client_base64url
issued 200 base64url normalized SUCCESS -



=== TEST 16: a real message with raw '+' (as jscep sends it): the real scepserver reads a space and fails it, client_raw_plus; normalised, issued
--- http_config
    log_format capture '$arg_message';
--- config
    large_client_header_buffers 4 64k;

    # a real request for this scepserver's CA, captured, never passed on
    location /capture/ {
        if ($arg_operation = GetCACaps) {
            return 200 "SHA-256\nAES\n";
        }
        if ($arg_operation = PKIOperation) {
            access_log $TEST_NGINX_CAPTURE/message capture;
            return 503;
        }
        rewrite ^ /scep break;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SCEP_PORT;
    }

    location /certsrv/mscep/ {
        scep on;
        rewrite ^ /scep break;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SCEP_PORT;
    }

    location /normalize/ {
        scep on;
        scep_normalize_message on;
        rewrite ^ /scep break;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SCEP_PORT;
    }

    location = /outcome {
        alias $TEST_NGINX_CAPTURE/outcome;
    }
--- init
ScepTest::enrol(server => $main::Server, challenge => 'enc-challenge',
                url => "http://127.0.0.1:" . server_port() . "/capture/mscep.dll",
                cn => 'raw-plus', result => "$ENV{TEST_NGINX_CAPTURE}/result", quiet => 1);
# scepclient has nginx's 503 before nginx's log phase writes the line:
# wait for it, up to 5 s
my @captured;
for (1 .. 50) {
    if (open my $in, '<', "$ENV{TEST_NGINX_CAPTURE}/message") {
        @captured = grep { /\n\z/ && length > 100 } <$in>;
        close $in;
    }
    last if @captured;
    select(undef, undef, undef, 0.1);
}
die "nothing captured" unless @captured;
chomp(my $m = $captured[-1]);
# base64url with %3D to standard base64, raw: '+', '/' and '=' unescaped
$m =~ s/%3D/=/g;
$m =~ tr{-_}{+/};
die "no '+' in the captured message" unless $m =~ /\+/;
my $out = '';
for my $at ('/certsrv/mscep/', '/normalize/') {
    my $seen = () = main::records();
    my $r = ScepTest::fetch("GET ${at}mscep.dll?operation=PKIOperation&message=$m");
    my ($status) = $r =~ m{^HTTP/1\.1 (\d+) };
    $out .= main::outcome($status, main::pkiop_record($seen));
}
open my $fh, '>', "$ENV{TEST_NGINX_CAPTURE}/outcome" or die $!;
print $fh $out;
close $fh;
--- request
GET /outcome
--- response_body
500 raw,raw_plus as-sent - client_raw_plus
200 raw,raw_plus normalized SUCCESS -
