# Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE.
# The records shipped as operators ship them, through real rsyslogd
# daemons started here (unprivileged, loopback, their own configuration
# and spool in a temporary directory):
#
#   nginx --UDP--> edge rsyslogd --TCP (omfwd)--> central rsyslogd
#                  imudp, udp-scep.log            imtcp, tcp-scep.log
#
# nginx's syslog client speaks UDP only (src/core/ngx_syslog.c opens a
# SOCK_DGRAM socket), one datagram per record, and does not cut an
# access_log line (ngx_http_log_module.c sizes the datagram to the line):
# the TCP leg is rsyslog's own forwarding, as from an edge to a
# collector.  Both daemons run with the maxMessageSize of
# docs/ops-guide.md section 8 (64k), and every record nginx wrote to its
# file arrives at either end whole and equal, the longest the module
# builds included.  A third rsyslogd, of the default maxMessageSize
# (8096 bytes), shows what that default does to a line of the module's
# 8 KB bound with nginx's syslog header: it cuts it, silently.
#
# The hostile messages are made by scep-gen --bounds when the test runs.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use File::Temp ();
use IO::Socket::INET;
use JSON::PP ();
use POSIX ();
use ScepTest;

$ENV{SCEP_GEN} //= 'build/scep-gen';

# make test runs rsyslog, it does not skip it
our ($Rsyslogd) = grep { -x } map { "$_/rsyslogd" }
                               split(/:/, $ENV{PATH}), '/usr/sbin';
$Rsyslogd or die "rsyslogd is not installed (make deps)";

our $Dir = File::Temp::tempdir(CLEANUP => 1);
system("$ENV{SCEP_GEN} --bounds $Dir") == 0
    or die "scep-gen --bounds failed (SCEP_GEN=$ENV{SCEP_GEN})";
$ENV{TEST_NGINX_BOUNDS} = $Dir;
$ENV{TEST_NGINX_DATA} = "$ScepTest::Top/t/data";

sub bounds {
    my ($name) = @_;

    open my $in, '<:raw', "$Dir/$name" or die "$Dir/$name: $!";
    local $/;
    return scalar <$in>;
}

# control bytes, quotes, backslashes, bytes that are not UTF-8, DEL and
# UTF-8 that the record keeps as they are
our $UA = "Hostile/1.0 \x7f\xc3\xa9 " . ("\x01\"\\\xff" x 2000);
our $Path = "/certsrv/mscep/" . ('"\\' x 1000) . "/mscep.dll";
our $Ident = "%01%22%5C%FF" x 1000;
our $Params = join '', map { "&p$_=%22%5C" } 1 .. 2000;

our (%Pid, %Port);
our $Parent = $$;

END {
    # waitpid sets $?, which END would make the exit status of the test
    local $?;

    for my $pid (grep { $$ == $Parent } values %Pid) {
        kill 'TERM', $pid;
        waitpid $pid, 0;
    }
}

# An rsyslogd of the configuration given (after its own workDirectory and
# templates), started in the foreground, its output in $Dir/NAME.out.
# Each message goes to $Dir/PREFIX-<tag>.log, the message alone (%msg%
# without the space that follows the tag), a line each.

sub rsyslogd {
    my ($name, $conf) = @_;

    open my $out, '>', "$Dir/$name.conf" or die $!;
    print $out <<"_EOC_", $conf;
global(workDirectory="$Dir/$name")
template(name="json" type="string" string="%msg:2:\$%\\n")
template(name="udpfile" type="string" string="$Dir/udp-%programname%.log")
template(name="tcpfile" type="string" string="$Dir/tcp-%programname%.log")
template(name="defaultfile" type="string"
         string="$Dir/default-%programname%.log")
_EOC_
    close $out;

    mkdir "$Dir/$name" or die "$Dir/$name: $!";

    my $pid = fork // die "fork: $!";

    if ($pid == 0) {
        open STDOUT, '>', "$Dir/$name.out";
        open STDERR, '>&', \*STDOUT;
        exec $Rsyslogd, '-n', '-f', "$Dir/$name.conf",
                        '-i', "$Dir/$name.pid"
            or POSIX::_exit(127);
    }

    $Pid{$name} = $pid;
}

# ready when a probe sent to the UDP port has reached the file
sub probe {
    my ($port, $file, $name) = @_;

    my $s = IO::Socket::INET->new(Proto => 'udp',
                                  PeerAddr => "127.0.0.1:$port")
        or die "udp: $!";

    for (1 .. 100) {
        $s->send("<190>Dec  1 00:00:00 localhost probe: {}");
        return if -s $file;
        select undef, undef, undef, 0.1;
    }

    die "$name: nothing in $file: " . `cat $Dir/*.out`;
}

$Port{$_} = ScepTest::free_port() for qw(udp tcp default);

rsyslogd('central', <<"_EOC_");
global(maxMessageSize="64k")
module(load="imtcp")
ruleset(name="scep") {
    action(type="omfile" dynaFile="tcpfile" template="json")
}
input(type="imtcp" address="127.0.0.1" port="$Port{tcp}" ruleset="scep")
_EOC_

ScepTest::wait_port($Port{tcp});

rsyslogd('edge', <<"_EOC_");
global(maxMessageSize="64k")
module(load="imudp")
ruleset(name="scep") {
    action(type="omfile" dynaFile="udpfile" template="json")
    action(type="omfwd" target="127.0.0.1" port="$Port{tcp}" protocol="tcp"
           TCP_Framing="octet-counted"
           queue.type="LinkedList" queue.filename="forward"
           queue.saveOnShutdown="on" action.resumeRetryCount="-1")
}
input(type="imudp" address="127.0.0.1" port="$Port{udp}" ruleset="scep")
_EOC_

rsyslogd('default', <<"_EOC_");
module(load="imudp")
ruleset(name="scep") {
    action(type="omfile" dynaFile="defaultfile" template="json")
}
input(type="imudp" address="127.0.0.1" port="$Port{default}" ruleset="scep")
_EOC_

probe($Port{udp}, "$Dir/tcp-probe.log", 'edge and central');
probe($Port{default}, "$Dir/default-probe.log", 'default');

$ENV{TEST_NGINX_RSYSLOG_PORT} = $Port{udp};
$ENV{TEST_NGINX_RSYSLOG_DEFAULT_PORT} = $Port{default};

# a line of 8192 bytes, the module's bound, as JSON, for the "pad" tag
our $Pad = 'x' x (8192 - length '{"pad":""}');

default_config(<<'_EOC_');
    large_client_header_buffers 4 64k;
    access_log syslog:server=127.0.0.1:$TEST_NGINX_RSYSLOG_PORT,tag=scep scep_json if=$scep_log_json;

    location /certsrv/mscep/ {
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

my @records = ScepTest::file_records();

my ($longest) = sort { length $b <=> length $a } @records;

ok(@records >= 6, "$0 - " . scalar(@records) . " records in the file, the "
                  . "longest " . length($longest) . " bytes");

like($longest, qr/"certificates_total":20\b/,
     "$0 - the longest record is that of the hostile GetCACert");

# What reached a file of rsyslog, whole lines, waiting up to 10 s for at
# least $n of them.

sub shipped {
    my ($file, $n) = @_;

    my @lines;
    my $deadline = time + 10;

    while (1) {
        if (open my $in, '<:raw', $file) {
            local $/;
            my $data = <$in> // '';
            @lines = split /\n/, substr $data, 0, rindex($data, "\n") + 1;
        }

        last if @lines >= $n || time >= $deadline;
        select undef, undef, undef, 0.1;
    }

    return @lines;
}

my $json = JSON::PP->new->utf8->canonical;

for my $leg ([udp => 'edge rsyslogd, imudp'],
             [tcp => 'central rsyslogd, imtcp, from the edge\'s omfwd'])
{
    my ($name, $what) = @$leg;
    my @lines = shipped("$Dir/$name-scep.log", scalar @records);

    my @bad = grep { !eval { $json->decode($_) } } @lines;

    ok(@lines && !@bad, "$0 - $name: " . scalar(@lines) . " messages ($what),"
                        . " each parses as JSON")
        or diag(map { "not JSON: " . substr($_, 0, 200) . "\n" } @bad);

    is_deeply([sort @lines], [sort @records],
              "$0 - $name: the same records as the file, byte for byte");

    ok((grep { $_ eq $longest } @lines),
       "$0 - $name: the longest record (" . length($longest)
       . " bytes) arrived whole");
}

# A line of 8192 bytes with nginx's syslog header: the default
# maxMessageSize keeps the first 8096 bytes of the datagram, header
# included; 64k keeps it whole, over UDP and TCP.

my $line = '{"pad":"' . $Pad . '"}';

for my $name (qw(udp tcp)) {
    my ($got) = shipped("$Dir/$name-pad.log", 1);

    ok(defined $got && $got eq $line,
       "$0 - $name, maxMessageSize 64k: the line of 8192 bytes whole ("
       . length($got // '') . ")");
}

my ($cut) = shipped("$Dir/default-pad.log", 1);

ok(defined $cut && length $cut < 8096 && index($line, $cut) == 0
   && !eval { $json->decode($cut) },
   "$0 - default maxMessageSize: the line of 8192 bytes cut to "
   . length($cut // '') . " bytes, no longer JSON");

# The drop-ins of docs/ops-guide.md section 8, as an operator puts them
# in /etc/rsyslog.d/ next to Debian's rsyslog.conf: rsyslogd -N1 takes
# them (that configuration's include directory and spool moved here).

for my $host ('edge', 'collector') {
    open my $in, '<', "$ScepTest::Top/docs/ops-guide.md" or die $!;
    local $/;
    my ($conf) = <$in> =~ /^On the \Q$host\E\b.*?\n```\n(.*?)^```$/ms;

    my $d = "$Dir/N1-$host";
    mkdir $d;
    mkdir "$d/rsyslog.d";

    open my $out, '>', "$d/rsyslog.d/30-scep.conf" or die $!;
    print $out $conf // '';
    close $out;

    open $in, '<', '/etc/rsyslog.conf' or die "/etc/rsyslog.conf: $!";
    my $main = <$in> =~ s{/etc/rsyslog\.d/}{$d/rsyslog.d/}gr
                     =~ s{/var/spool/rsyslog}{$d}gr;
    open $out, '>', "$d/rsyslog.conf" or die $!;
    print $out $main;
    close $out;

    my $check = `$Rsyslogd -N1 -f $d/rsyslog.conf 2>&1`;

    ok(defined $conf && $conf =~ /maxMessageSize="64k"/ && $? == 0
       && $check !~ /error/i,
       "$0 - the $host drop-in of the ops guide passes rsyslogd -N1 with "
       . "Debian's rsyslog.conf")
        or diag($check);
}

__DATA__

=== TEST 1: GetCACaps, a small record
--- config
    large_client_header_buffers 4 64k;
    access_log syslog:server=127.0.0.1:$TEST_NGINX_RSYSLOG_PORT,tag=scep scep_json if=$scep_log_json;

    location /certsrv/mscep/ {
        scep on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/;
    }
--- ndes
POSTPKIOperation\nSHA-256\nAES\nSCEPStandard\n
--- request
GET /certsrv/mscep/mscep.dll?operation=GetCACaps&message=ca
--- error_code: 200
--- record
{ "scep": { "operation": "GetCACaps",
            "response": { "caps": ["POSTPKIOperation", "SHA-256", "AES", "SCEPStandard"] } } }



=== TEST 2: the GetCACert answer of NDES, three certificates
--- config
    large_client_header_buffers 4 64k;
    access_log syslog:server=127.0.0.1:$TEST_NGINX_RSYSLOG_PORT,tag=scep scep_json if=$scep_log_json;

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
{ scep => { response => { certificates => [ {}, {}, {} ],
                          certificates_total => 3 } } }



=== TEST 3: the longest record: a GetCACert chain of 20 certificates named with escapes, a hostile User-Agent (DEL and UTF-8 kept), path and CA name, operation twice
--- config
    large_client_header_buffers 4 64k;
    access_log syslog:server=127.0.0.1:$TEST_NGINX_RSYSLOG_PORT,tag=scep scep_json if=$scep_log_json;

    location /certsrv/mscep/ {
        scep on;
        scep_reject off;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/data/;
    }
--- ndes eval
{ file => 'getcacert-hostile.der', root => '$TEST_NGINX_BOUNDS',
  type => 'application/x-x509-ca-ra-cert' }
--- raw_request eval
"GET $main::Path?operation=GetCACert&message=$main::Ident&Operation=GetCACert HTTP/1.1\r\nHost: localhost\r\nUser-Agent: $main::UA\r\nConnection: close\r\n\r\n"
--- error_code: 200
--- record eval
{
    user_agent => { original => qr/^Hostile\/1\.0 \x7f\x{e9} \x01"\\\x{fffd}/ },
    scep => {
        reject   => { reason => 'ambiguous_query', enforced => JSON::PP::false },
        response => { certificates_total => 20 },
        truncated => [ 'user_agent.original', 'url.path', 'scep.ca_ident',
                       'scep.response.certificates',
                       'scep.response.certificates[].subject',
                       'scep.response.certificates[].issuer' ],
    },
}



=== TEST 4: the most hostile PKIOperation: 60 000 bytes of transactionID to escape, a signer subject of escapes, a hostile User-Agent and path
--- config
    large_client_header_buffers 4 64k;
    access_log syslog:server=127.0.0.1:$TEST_NGINX_RSYSLOG_PORT,tag=scep scep_json if=$scep_log_json;

    location /certsrv/mscep/ {
        scep on;
        scep_reject off;
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
    scep => {
        message => { size => 64681 },
        truncated => [ 'user_agent.original', 'url.path',
                       'scep.message.transaction_id',
                       'scep.message.signer.subject' ],
    },
}



=== TEST 5: a transactionID of 129 bytes, refused: the record has its first 128
--- request eval
ScepTest::pkiop_get(main::bounds('tid-129.der'), 'percent', '/certsrv/mscep/mscep.dll')
--- config
    large_client_header_buffers 4 64k;
    access_log syslog:server=127.0.0.1:$TEST_NGINX_RSYSLOG_PORT,tag=scep scep_json if=$scep_log_json;

    location /certsrv/mscep/ {
        scep on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/ndes/;
    }
--- error_code: 400
--- record eval
{ scep => { message => { transaction_id => '0123456789ABCDEF' x 8 },
            reject => { reason => 'bad_transaction_id' },
            truncated => [ 'scep.message.transaction_id' ] } }



=== TEST 6: 2000 parameters of quotes and backslashes after a GetCACert, a long User-Agent (monitor mode)
--- raw_request eval
"GET /certsrv/mscep/mscep.dll?operation=GetCACert&message=ca$main::Params HTTP/1.1\r\nHost: localhost\r\nUser-Agent: " . ('A' x 4000) . "\r\nConnection: close\r\n\r\n"
--- error_code: 200
--- response_body
ndes: GET
--- record eval
{ user_agent => { original => 'A' x 256 },
  scep => { operation => 'GetCACert',
            truncated => [ 'user_agent.original' ] } }



=== TEST 7: nginx sends a line of 8192 bytes (the module's bound) whole, with its syslog header, to the edge and to an rsyslogd of the default maxMessageSize
--- http_config
    log_format pad escape=none '{"pad":"$arg_pad"}';
--- config
    large_client_header_buffers 4 64k;
    access_log syslog:server=127.0.0.1:$TEST_NGINX_RSYSLOG_PORT,tag=pad pad if=$arg_pad;
    access_log syslog:server=127.0.0.1:$TEST_NGINX_RSYSLOG_DEFAULT_PORT,tag=pad pad if=$arg_pad;

    location /pad {
        return 204;
    }
--- request eval
"GET /pad?pad=$main::Pad"
--- error_code: 204
--- no_error_log
[warn]
