# Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE.
# Bounded cost for any input: a transactionID is at most 128 bytes of
# PrintableString characters, whatever string tag carries it, or the
# request gets 400 bad_transaction_id; in monitor mode it is forwarded and
# recorded.  Every string of the record a client (or the upstream)
# controls is cut at a UTF-8 boundary and named in scep.truncated, and no
# record is longer than 8 KB: the most hostile ones are built here and
# sent to a syslog receiver, where each must arrive whole in one datagram.
#
# The messages are made by scep-gen --bounds when the test runs.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use File::Temp ();
use IO::Socket::INET;
use JSON::PP ();
use POSIX ();
use ScepTest;

$ENV{SCEP_GEN} //= 'build/scep-gen';

our $Bounds = File::Temp::tempdir(CLEANUP => 1);
system("$ENV{SCEP_GEN} --bounds $Bounds") == 0
    or die "scep-gen --bounds failed (SCEP_GEN=$ENV{SCEP_GEN})";
$ENV{TEST_NGINX_BOUNDS} = $Bounds;
$ENV{TEST_NGINX_DATA} = "$ScepTest::Top/t/data";

sub bounds {
    my ($name) = @_;

    open my $in, '<:raw', "$Bounds/$name" or die "$Bounds/$name: $!";
    local $/;
    return scalar <$in>;
}

# RFC 2253 text whose every escape is whole: \XX, or \ and a special
our $DN = qr/^OU=(?:[^\\]|\\[0-9A-F]{2}|\\[^0-9A-Fa-f])+\z/;

# a PKIOperation GET of a message of scep-gen --bounds
sub get { ScepTest::pkiop_get(bounds($_[0]), 'percent', $_[1]) }

# what costs a record most: control bytes (\u0001), quotes, backslashes,
# bytes that are not UTF-8 (U+FFFD)
our $UA = "Hostile/1.0 " . ("\x01\"\\\xff" x 2000);
our $Path = "/certsrv/mscep/" . ('"\\' x 1000) . "/mscep.dll";
our $Ident = "%01%22%5C%FF" x 1000;

# a GetCACaps answer of 40 capabilities of 64 quotes each
{
    open my $out, '>', "$Bounds/caps-hostile.txt" or die $!;
    print $out map { ('"' x 64) . "\r\n" } 1 .. 40;
    close $out;
}

# the syslog receiver: each datagram, as it came, into $Bounds/syslog
our $Syslog = IO::Socket::INET->new(Proto => 'udp', LocalAddr => '127.0.0.1',
                                    LocalPort => 0) or die "udp: $!";
$ENV{TEST_NGINX_SYSLOG_PORT} = $Syslog->sockport;

our $Receiver = fork // die "fork: $!";

if ($Receiver == 0) {
    open my $out, '>:raw', "$Bounds/syslog" or POSIX::_exit(1);
    $out->autoflush(1);

    while (defined $Syslog->recv(my $dgram, 65536)) {
        print $out pack('N', length $dgram), $dgram;
    }

    POSIX::_exit(0);
}

close $Syslog;

# and rsyslog, when installed (make deps), with its imudp and its default
# maxMessageSize of 8 KB: each message as it came, a line each
our ($Rsyslogd) = grep { -x } map { "$_/rsyslogd" }
                               split(/:/, $ENV{PATH}), '/usr/sbin';
our $Rsyslog;

if ($Rsyslogd) {
    my $port = ScepTest::free_port();

    open my $conf, '>', "$Bounds/rsyslog.conf" or die $!;
    print $conf <<"_EOC_";
global(workDirectory="$Bounds")
module(load="imudp")
template(name="raw" type="string" string="%rawmsg%\\n")
ruleset(name="scep") {
    action(type="omfile" file="$Bounds/rsyslog.log" template="raw")
}
input(type="imudp" address="127.0.0.1" port="$port" ruleset="scep")
_EOC_
    close $conf;

    $Rsyslog = fork // die "fork: $!";

    if ($Rsyslog == 0) {
        open STDOUT, '>', "$Bounds/rsyslogd.out";
        open STDERR, '>&', \*STDOUT;
        exec $Rsyslogd, '-n', '-f', "$Bounds/rsyslog.conf",
                        '-i', "$Bounds/rsyslogd.pid"
            or POSIX::_exit(127);
    }

    # ready when a probe has gone through
    my $probe = IO::Socket::INET->new(Proto => 'udp',
                                      PeerAddr => "127.0.0.1:$port")
        or die "udp: $!";

    for (1 .. 100) {
        $probe->send("<190>Dec  1 00:00:00 localhost probe: ready");
        last if -s "$Bounds/rsyslog.log";
        select undef, undef, undef, 0.1;
    }

    -s "$Bounds/rsyslog.log" or die "rsyslogd does not answer: "
                                    . `cat $Bounds/rsyslogd.out`;

    $ENV{TEST_NGINX_RSYSLOG_PORT} = $port;

} else {
    # the Perl receiver then gets each record twice
    $ENV{TEST_NGINX_RSYSLOG_PORT} = $ENV{TEST_NGINX_SYSLOG_PORT};
}

our $Parent = $$;

END {
    # waitpid sets $?, which END would make the exit status of the test
    local $?;

    for my $pid (grep { $_ && $$ == $Parent } $Receiver, $Rsyslog) {
        kill 'TERM', $pid;
        waitpid $pid, 0;
    }
}

default_config(<<'_EOC_');
    large_client_header_buffers 4 64k;

    location /certsrv/mscep/ {
        scep on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/;
    }

    location /monitor/ {
        scep on;
        scep_reject off;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/;
    }

    location /ndes/ {
        return 200 "ndes: $request_method\n";
    }
_EOC_

no_shuffle();
run_tests();
check_records();

# No record is longer than 8 KB, and the longest are those built for it.

my @records = ScepTest::file_records();

my ($longest) = sort { length $b <=> length $a } @records;

ok(@records && length $longest <= 8192,
   "$0 - no record longer than 8192 bytes (" . scalar(@records)
   . " records, the longest " . length($longest) . ")");

like($longest, qr/"user_agent":\{"original":"Hostile/,
     "$0 - the longest record is one of the hostile ones");

diag("the longest record: " . length($longest) . " bytes")
    if $ENV{SCEP_BOUNDS_VERBOSE};

# Over syslog, each record arrived whole, one datagram each, the longest too.

my @dgrams;
my $deadline = time + 5;

while (time < $deadline) {
    @dgrams = ();

    if (open my $in, '<:raw', "$Bounds/syslog") {
        local $/;
        my $data = <$in> // '';

        while (length $data >= 4) {
            my $n = unpack 'N', $data;
            last if length $data < 4 + $n;
            push @dgrams, substr $data, 4, $n;
            $data = substr $data, 4 + $n;
        }
    }

    last if grep { index($_, $longest) >= 0 } @dgrams;
    select undef, undef, undef, 0.1;
}

my %record = map { $_ => 1 } @records;
my @bad = grep {
    !(/^<\d+>[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ scep: (\{.*\})\z/s
      && $record{$1} && eval { JSON::PP->new->utf8->decode($1) })
} @dgrams;

ok(@dgrams >= 4 && !@bad,
   "$0 - " . scalar(@dgrams) . " syslog datagrams, each a whole record")
    or diag(map { "not a whole record: " . substr($_, 0, 200) . "\n" } @bad);

ok((grep { index($_, $longest) >= 0 } @dgrams),
   "$0 - the longest record reached the syslog receiver whole ("
   . length($longest) . " bytes)");

# rsyslog cuts a message at its maxMessageSize (8096 bytes by default):
# every record it got is whole

SKIP: {
    skip "$0 - rsyslogd is not installed (make deps)", 2 unless $Rsyslog;

    my @lines;
    $deadline = time + 5;

    while (time < $deadline) {
        open my $in, '<:raw', "$Bounds/rsyslog.log" or die $!;
        @lines = grep { /^<\d+>/ && !/ probe: / } map { chomp; $_ } <$in>;
        close $in;
        last if grep { index($_, $longest) >= 0 } @lines;
        select undef, undef, undef, 0.1;
    }

    my @cut = grep { !(/ scep: (\{.*\})\z/ && $record{$1}) } @lines;

    ok(@lines >= 4 && !@cut,
       "$0 - rsyslog (imudp, default maxMessageSize): " . scalar(@lines)
       . " messages, each a whole record")
        or diag(map { "not a whole record: " . substr($_, 0, 200) . "\n" } @cut);

    ok((grep { index($_, $longest) >= 0 } @lines),
       "$0 - rsyslog got the longest record whole");
}

__DATA__

=== TEST 1: monitor mode, a senderNonce of no bytes, a CertRep without recipientNonce: recipient_nonce_matches false (memcmp of NULL: UBSan stopped the worker)
--- config
    location /certsrv/mscep/ {
        scep on;
        scep_reject off;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/data/;
    }
--- ndes eval
{ file => 'certrep-no-recipient-nonce.der', root => '$TEST_NGINX_BOUNDS',
  type => 'application/x-pki-message' }
--- request eval
main::get('empty-nonce.der')
--- error_code: 200
--- record eval
{
    scep => {
        message  => { sender_nonce => '' },
        reject   => { reason => 'bad_sender_nonce', enforced => JSON::PP::false },
        response => ScepTest::exact({
            message_type => 'CertRep', pki_status => 'PENDING',
            transaction_id => '9C1772A8FC4F148942002741E35CEFDE7C69796E',
            transaction_id_matches => JSON::PP::true,
            recipient_nonce_matches => JSON::PP::false,
        }),
    },
}
--- no_error_log
[alert]



=== TEST 2: a transactionID of 128 bytes passes
--- request eval
main::get('tid-128.der')
--- error_code: 200
--- response_body
ndes: GET
--- record eval
{
    scep => {
        message   => { transaction_id => '0123456789ABCDEF' x 8,
                       signature => 'valid' },
        reject    => ScepTest::absent,
        truncated => ScepTest::absent,
    },
}



=== TEST 3: a transactionID of 129 bytes: 400 bad_transaction_id, not forwarded; the record has its first 128 bytes
--- request eval
main::get('tid-129.der')
--- error_code: 400
--- response_body
bad_transaction_id: transactionID of 129 bytes, more than 128
--- record eval
{
    scep => {
        message   => { transaction_id => '0123456789ABCDEF' x 8 },
        reject    => { reason => 'bad_transaction_id', enforced => JSON::PP::true },
        upstream  => ScepTest::absent,
        truncated => [ 'scep.message.transaction_id' ],
    },
}



=== TEST 4: every PrintableString character passes
--- request eval
main::get('tid-printable-all.der')
--- error_code: 200
--- record eval
{ scep => { message => { transaction_id => "AZaz09 '()+,-./:=?" },
            reject => ScepTest::absent } }



=== TEST 5: a UTF8String of PrintableString characters passes (sscep's GetCert)
--- request eval
main::get('tid-utf8-printable.der')
--- error_code: 200
--- record eval
{ scep => { message => { transaction_id => 'SSCEP transactionId' },
            reject => ScepTest::absent } }



=== TEST 6: an IA5String of base64 passes (micromdm scepclient)
--- request eval
main::get('tid-ia5-printable.der')
--- error_code: 200
--- record eval
{ scep => { message => { transaction_id => '4llKsA9qBJJmv+APN8N1u3EsMlw=' },
            reject => ScepTest::absent } }



=== TEST 7: '_' (base64url) in a PrintableString: 400
--- request eval
main::get('tid-printable-underscore.der')
--- error_code: 400
--- response_body
bad_transaction_id: transactionID has byte 0x5f at offset 13, not a PrintableString character
--- record eval
{ scep => { reject => { reason => 'bad_transaction_id' }, upstream => ScepTest::absent } }



=== TEST 8: a letter outside ASCII in a UTF8String: 400
--- request eval
main::get('tid-utf8-accent.der')
--- error_code: 400
--- response_body
bad_transaction_id: transactionID has byte 0xc3 at offset 3, not a PrintableString character
--- record eval
{ scep => { message => { transaction_id => "caf\x{e9}-0001" },
            reject => { reason => 'bad_transaction_id' } } }



=== TEST 9: '@' in an IA5String: 400
--- request eval
main::get('tid-ia5-at.der')
--- error_code: 400
--- response_body
bad_transaction_id: transactionID has byte 0x40 at offset 6, not a PrintableString character
--- record eval
{ scep => { reject => { reason => 'bad_transaction_id' } } }



=== TEST 10: a line break and quotes in a UTF8String: 400
--- request eval
main::get('tid-utf8-newline.der')
--- error_code: 400
--- response_body
bad_transaction_id: transactionID has byte 0x0a at offset 4, not a PrintableString character
--- record eval
{ scep => { message => { transaction_id => qq{1234\n"x":1} },
            reject => { reason => 'bad_transaction_id' } } }



=== TEST 11: monitor mode: a transactionID of 129 bytes is forwarded and recorded
--- request eval
main::get('tid-129.der', '/monitor/mscep.dll')
--- error_code: 200
--- response_body
ndes: GET
--- record eval
{
    scep => {
        message   => { transaction_id => '0123456789ABCDEF' x 8 },
        reject    => { reason => 'bad_transaction_id', enforced => JSON::PP::false },
        upstream  => { status => 200 },
        truncated => [ 'scep.message.transaction_id' ],
    },
}
--- error_log
forwarded in monitor mode (scep_reject off), bad_transaction_id: transactionID of 129 bytes



=== TEST 12: the fixtures of real clients and of the generator still pass (their transactionIDs: hex, base64)
--- init
my @bad;
for my $f (qw(pkcsreq-sha256.der pkcsreq-sha1.der pkcsreq-sha512.der
              pkcsreq-ski.der pkcsreq-ecdsa.der renewalreq.der updatereq.der
              certpoll.der getcert.der getcrl.der ios-pkcsreq-ber.der
              scepclient-pkcsreq.der))
{
    my ($r) = ScepTest::keepalive(ScepTest::pkiop_post(ScepTest::message($f)));
    push @bad, "$f: $r->[0] $r->[1]" unless $r->[0] == 200;
}
ScepTest::report(@bad);
--- request
GET /check
--- response_body
ok



=== TEST 13: the most hostile PKIOperation (monitor mode): 60 000 bytes of transactionID to escape, a signer subject of escapes, a User-Agent and a path of them; every string cut, the record under 8 KB and whole over syslog
--- http_config
    scep_flow_zone bounds:1m;
--- config
    large_client_header_buffers 4 64k;
    access_log syslog:server=127.0.0.1:$TEST_NGINX_SYSLOG_PORT,tag=scep scep_json if=$scep_log_json;
    access_log syslog:server=127.0.0.1:$TEST_NGINX_RSYSLOG_PORT,tag=scep scep_json if=$scep_log_json;

    location /certsrv/mscep/ {
        scep on;
        scep_reject off;
        scep_flow bounds;
        proxy_method GET;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/data/;
    }
--- ndes eval
{ file => 'certrep-no-recipient-nonce.der', root => '$TEST_NGINX_BOUNDS',
  type => 'application/x-pki-message' }
--- raw_request eval
ScepTest::pkiop_post(main::bounds('hostile.der'), path => $main::Path) =~ s/\r\nHost:/\r\nUser-Agent: $main::UA\r\nHost:/r
--- error_code: 200
--- record eval
{
    user_agent => { original => qr/^Hostile\/1\.0 (?:\x01"\\\x{fffd})*[^\x{fffd}]{0,3}\z/ },
    url => { path => qr/^\/certsrv\/mscep\/(?:"\\)+"?\z/ },
    scep => {
        message => {
            transaction_id => qr/^(?:\x01"\\\x{fffd})+\x01?"?\\?\z/,
            size => 64681,
            signer => { subject => $main::DN },
        },
        reject   => { reason => 'bad_transaction_id', enforced => JSON::PP::false },
        response => { pki_status => 'PENDING', transaction_id_matches => JSON::PP::false,
                      recipient_nonce_matches => JSON::PP::false },
        truncated => [ 'user_agent.original', 'url.path',
                       'scep.message.transaction_id',
                       'scep.message.signer.subject' ],
    },
}



=== TEST 14: the most hostile GetCACert (monitor mode, a query naming operation twice): a User-Agent, a path and a CA name of escapes, 20 certificates named with escapes, a flow of 17 steps; 8 listed, certificates_total 20, names cut between RFC 2253 escapes
--- http_config
    scep_flow_zone bounds:1m;
--- config
    large_client_header_buffers 4 64k;
    access_log syslog:server=127.0.0.1:$TEST_NGINX_SYSLOG_PORT,tag=scep scep_json if=$scep_log_json;
    access_log syslog:server=127.0.0.1:$TEST_NGINX_RSYSLOG_PORT,tag=scep scep_json if=$scep_log_json;

    location /certsrv/mscep/ {
        scep on;
        scep_reject off;
        scep_flow bounds;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/data/;
    }
--- ndes eval
{ file => 'getcacert-hostile.der', root => '$TEST_NGINX_BOUNDS',
  type => 'application/x-x509-ca-ra-cert' }
--- init
# the 16 steps before, their records in the log before the block's own;
# the same CA name and each on a connection of its own, so that they and
# the block's request join one flow by address (t/041)
my $before = @{ ScepTest::record_lines() };
ScepTest::keepalive(map { "GET $main::Path?operation=GetCACert&message=$main::Ident HTTP/1.1\r\nHost: localhost\r\nUser-Agent: $main::UA\r\nConnection: close\r\n\r\n" } 1 .. 16);
for (1 .. 100) {
    last if @{ ScepTest::record_lines() } >= $before + 16;
    select undef, undef, undef, 0.05;
}
--- raw_request eval
"GET $main::Path?operation=GetCACert&message=$main::Ident&Operation=GetCACert HTTP/1.1\r\nHost: localhost\r\nUser-Agent: $main::UA\r\nConnection: close\r\n\r\n"
--- error_code: 200
--- record eval
{
    scep => {
        operation => 'GetCACert',
        ca_ident => qr/^(?:\x01"\\\x{fffd})+/,
        reject   => { reason => 'ambiguous_query', enforced => JSON::PP::false },
        response => {
            certificates => [ ({ subject => $main::DN, issuer => $main::DN }) x 8 ],
            certificates_total => 20,
        },
        flow => { step => 17 },
        truncated => [ 'user_agent.original', 'url.path', 'scep.ca_ident',
                       'scep.response.certificates',
                       'scep.response.certificates[].subject',
                       'scep.response.certificates[].issuer' ],
    },
}



=== TEST 15: a GetCACaps answer of 40 capabilities of 64 quotes: whole capabilities up to 1024 bytes, scep.response.caps named as cut
--- config
    access_log syslog:server=127.0.0.1:$TEST_NGINX_SYSLOG_PORT,tag=scep scep_json if=$scep_log_json;
    access_log syslog:server=127.0.0.1:$TEST_NGINX_RSYSLOG_PORT,tag=scep scep_json if=$scep_log_json;

    location /certsrv/mscep/ {
        scep on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/data/;
    }
--- ndes eval
{ file => 'caps-hostile.txt', root => '$TEST_NGINX_BOUNDS', type => 'text/plain' }
--- request
GET /certsrv/mscep/mscep.dll?operation=GetCACaps&message=ca
--- error_code: 200
--- record eval
{
    scep => {
        response  => ScepTest::exact({ caps => [ ('"' x 64) x 7 ] }),
        truncated => [ 'scep.response.caps' ],
    },
}



=== TEST 16: 33 GetCACaps lines that fit: 32 kept, and scep.response.caps named as cut
--- config
    location /certsrv/mscep/ {
        scep on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/;
    }

    location /ndes/ {
        return 200 "A\nB\nC\nD\nE\nF\nG\nH\nI\nJ\nK\nL\nM\nN\nO\nP\nQ\nR\nS\nT\nU\nV\nW\nX\nY\nZ\n0\n1\n2\n3\n4\n5\n6\n";
    }
--- request
GET /certsrv/mscep/mscep.dll?operation=GetCACaps&message=ca
--- error_code: 200
--- record eval
{
    scep => {
        response  => ScepTest::exact({ caps => [ 'A' .. 'Z', map { "$_" } 0 .. 5 ] }),
        truncated => [ 'scep.response.caps' ],
    },
}



=== TEST 17: the GetCACert answer of NDES: every certificate listed, certificates_total 3, nothing cut
--- config
    location /certsrv/mscep/ {
        scep on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/data/;
    }
--- ndes eval
{ file => 'getcacert-ca-ra.der', type => 'application/x-x509-ca-ra-cert' }
--- request
GET /certsrv/mscep/mscep.dll?operation=GetCACert&message=ca
--- error_code: 200
--- record eval
{
    scep => {
        response  => { certificates => [ {}, {}, {} ], certificates_total => 3 },
        truncated => ScepTest::absent,
    },
}



=== TEST 18: the operation as sent, in the reject detail: cut
--- request eval
"GET /certsrv/mscep/mscep.dll?operation=" . ('"\\' x 2000)
--- error_code: 400
--- record eval
{
    scep => {
        operation => 'unknown',
        reject    => { reason => 'unknown_operation',
                       detail => qr/^operation "(?:"\\)+"?\z/ },
        truncated => [ 'scep.reject.detail' ],
    },
}



=== TEST 19: a method of 100 letters: cut to 32 bytes in http.request.method (the detail that names it is within its own limit)
--- raw_request eval
"M" x 100 . " /certsrv/mscep/mscep.dll?operation=GetCACert&message=ca HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
--- error_code: 405
--- record eval
{
    http => { request => { method => 'M' x 32 } },
    scep => {
        reject    => { reason => 'method_not_allowed',
                       detail => 'GetCACert takes GET, not ' . 'M' x 100 },
        truncated => [ 'http.request.method' ],
    },
}
