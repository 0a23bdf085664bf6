# Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE.
# A real Prometheus (Debian's prometheus, loopback, its own config and a
# temporary storage directory, scrape_interval 1s, the shipped rules
# loaded) scrapes scep_metrics while the real scepclient enrols through
# nginx to the real scepserver, and while devices of each family and a
# hostile NDES stand-in send requests; the series are read back through
# Prometheus's HTTP API and checked against what was sent.  promtool
# check metrics passes on the live exposition.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use ScepTest;

use File::Temp qw(tempdir);
use HTTP::Tiny;
use JSON::PP;
use POSIX ();
use Time::Piece;

our $Server = scep_server(challenge => 'prom-challenge');

our $Dir = tempdir('scep-prometheus-XXXXXX', TMPDIR => 1, CLEANUP => 1);
our $PromPort = ScepTest::free_port();
our $Prom;

# A CA certificate whose subject would end the label and add a sample,
# were it not escaped: RFC 2253 keeps the quote and the backslash.
$ENV{TEST_NGINX_HOSTILE_DIR} = $Dir;
my $subj = q(/CN=evil"} 1\\\\x/O=scep_fake 9);
system("openssl req -x509 -newkey rsa:2048 -nodes -days 20"
       . " -keyout $Dir/k.pem -subj '$subj' -outform DER"
       . " -out $Dir/mscep.dll 2>/dev/null") == 0
    or die "openssl req failed";

default_config(<<'_EOC_');
    large_client_header_buffers 4 64k;

    location /certsrv/mscep/ {
        scep on;
        rewrite ^ /scep break;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SCEP_PORT;
    }

    # an NDES stand-in whose GetCACert certificate has a hostile subject
    location /hostile/ {
        scep on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_SERVER_PORT/hostile-ndes/;
    }

    location /hostile-ndes/ {
        types { }
        default_type application/x-x509-ca-cert;
        alias $TEST_NGINX_HOSTILE_DIR/;
    }

    location = /metrics {
        scep_metrics;
    }
_EOC_

no_shuffle();
run_tests();
check_records();


END {
    # a test that died still stops its Prometheus
    my $status = $?;
    if ($Prom) {
        kill 'TERM', $Prom;
        waitpid $Prom, 0;
    }
    $? = $status;
}


# Starts Prometheus on loopback, scraping the nginx under test.
sub ScepTest::prometheus_start {
    my $port = Test::Nginx::Util::server_port();

    open my $c, '>', "$Dir/prometheus.yml" or die $!;
    print $c <<"_EOC_";
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - $ScepTest::Top/conf/prometheus/scep.rules.yml
scrape_configs:
  - job_name: scep
    metrics_path: /metrics
    static_configs:
      - targets: ['127.0.0.1:$port']
_EOC_
    close $c;

    $Prom = fork // die "fork: $!";
    if ($Prom == 0) {
        open STDOUT, '>', "$Dir/prometheus.log";
        open STDERR, '>&', \*STDOUT;
        exec 'prometheus', "--config.file=$Dir/prometheus.yml",
             "--storage.tsdb.path=$Dir/data",
             "--web.listen-address=127.0.0.1:$PromPort"
            or POSIX::_exit(127);
    }

    ScepTest::wait_port($PromPort);
}


# An instant query: { 'label=value,...' => value } of its result.
sub ScepTest::prom_query {
    my ($q) = @_;

    my $r = HTTP::Tiny->new(timeout => 5)->get(
        "http://127.0.0.1:$PromPort/api/v1/query?query="
        . join('', map { sprintf '%%%02X', ord } split //, $q));
    return undef unless $r->{success};

    my $j = decode_json($r->{content});
    return undef unless $j->{status} eq 'success';

    my %v;
    for my $s (@{ $j->{data}{result} }) {
        my $m = $s->{metric};
        my $k = join ',', map { "$_=$m->{$_}" }
                          sort grep { !/^(?:__name__|instance|job)$/ } keys %$m;
        $v{$k} = $s->{value}[1];
    }

    return \%v;
}


# Polls the query until it gives what is expected, up to 15 s: the
# problems left then, or none.
sub ScepTest::prom_wait {
    my ($q, %want) = @_;

    my @problems;
    for (1 .. 60) {
        my $got = ScepTest::prom_query($q) // {};
        @problems = ();
        for my $k (sort keys %want) {
            push @problems, "$q {$k}: " . ($got->{$k} // 'absent')
                            . ", not $want{$k}"
                unless defined $got->{$k} && $got->{$k} == $want{$k};
        }
        for my $k (sort keys %$got) {
            push @problems, "$q {$k}: $got->{$k}, not sent"
                unless exists $want{$k};
        }
        return () unless @problems;
        select undef, undef, undef, 0.25;
    }

    return @problems;
}


sub ScepTest::not_after {
    my ($file, $form) = @_;

    my $end = `openssl x509 -inform $form -in $file -noout -enddate`;
    $end =~ /^notAfter=(\w+) +(\d+) (\d\d:\d\d:\d\d) (\d{4}) GMT$/
        or die "notAfter: $end";

    return Time::Piece->strptime("$1 $2 $3 $4", '%b %d %H:%M:%S %Y')->epoch;
}


__DATA__

=== TEST 1: Prometheus scrapes an enrolment, the families, a hostile NDES: the series are what was sent
--- init
ScepTest::prometheus_start();

my $port = server_port();
my $verdict = ScepTest::enrol(server => $main::Server,
                              challenge => 'prom-challenge',
                              url => "http://127.0.0.1:$port"
                                     . "/certsrv/mscep/mscep.dll",
                              result => html_dir() . "/enrolment");
my @problems = $verdict eq 'issued' ? () : "scepclient: $verdict";

# one GetCACaps of each family, as the devices send them (NDES-NOTES.md)
my @families = (
    ['ios', 'User-Agent: profiled/1.0 CFNetwork/811.5.4 Darwin/16.6.0'],
    ['android', 'User-Agent: Dalvik/2.1.0 (Linux; U; Android 5.0; P01M Build/LRX21V)'],
    ['windows', 'User-Agent: Mozilla/4.0 (compatible; Win32; NDES client)'],
    ['macos', 'User-Agent: mdmclient/1.0 CFNetwork/1335 Darwin/21.6.0 (Macintosh)'],
    ['network', 'Host: ndes.example.com'],
    ['sscep'],
    ['other', 'User-Agent: ' . ('x' x 600) . 'profiled/1.0'],
);

for my $f (@families) {
    my ($family, @headers) = @$f;
    my $r = ScepTest::fetch('GET /certsrv/mscep/mscep.dll?operation=GetCACaps'
                            . '&message=ca', @headers);
    push @problems, "$family: " . substr($r // '', 0, 40)
        unless ($r // '') =~ m{^HTTP/1\.1 200 };
}

my $r = ScepTest::fetch('GET /hostile/mscep.dll?operation=GetCACert&message=ca',
                        'User-Agent: Go-http-client/1.1');
push @problems, "hostile GetCACert: " . substr($r // '', 0, 40)
    unless ($r // '') =~ m{^HTTP/1\.1 200 };

# scepclient: GetCACert, GetCACaps, PKIOperation, with Go's User-Agent
push @problems, ScepTest::prom_wait(
    'sum by (operation, client, status) (scep_requests_total)',
    'client=other,operation=GetCACert,status=200' => 2,
    'client=other,operation=GetCACaps,status=200' => 2,
    'client=other,operation=PKIOperation,status=200' => 1,
    map { ("client=$_->[0],operation=GetCACaps,status=200" => 1) }
        grep { $_->[0] ne 'other' } @families);

push @problems, ScepTest::prom_wait(
    'sum by (operation) (scep_upstream_response_seconds_count)',
    'operation=GetCACert' => 2, 'operation=GetCACaps' => 8,
    'operation=PKIOperation' => 1);

push @problems, ScepTest::prom_wait(
    'sum by (operation) (scep_upstream_response_seconds_bucket{le="+Inf"})',
    'operation=GetCACert' => 2, 'operation=GetCACaps' => 8,
    'operation=PKIOperation' => 1);

# the gauges: scepserver's CA certificate, and the hostile one read back
# as sent, its quote and backslash intact
my $hostile = 'O=scep_fake 9,CN=evil\\"} 1\\\\x';
my $subject = 'OU=SCEP CA,O=scep-ca,C=US';

push @problems, ScepTest::prom_wait(
    'scep_certificate_not_after_seconds',
    "role=ca,serial=01,subject=$subject,upstream=127.0.0.1:"
        . $main::Server->{port}
        => ScepTest::not_after($main::Server->{ca}, 'PEM'),
    "role=ca,serial=" . lc(`openssl x509 -inform DER -in $main::Dir/mscep.dll -noout -serial` =~ s/^serial=//r =~ s/\s+//r)
        . ",subject=$hostile,upstream=127.0.0.1:$port"
        => ScepTest::not_after("$main::Dir/mscep.dll", 'DER'));

# the hostile CA expires within 30 days: the shipped rule records it
push @problems, ScepTest::prom_wait(
    'count(scep:certificate_expiry:seconds < 30 * 86400)', '' => 1);

# nothing the subject could have added
my $fake = ScepTest::prom_query('scep_fake') // {};
push @problems, "a series scep_fake" if %$fake;

# promtool reads the live exposition as Prometheus does
my $m = ScepTest::fetch('GET /metrics');
$m =~ s/\A.*?\r\n\r\n//s;
open my $p, '|-', "promtool check metrics >$main::Dir/check.log 2>&1" or die $!;
print $p $m;
close $p;
push @problems, "promtool check metrics: " . `cat $main::Dir/check.log` if $?;

# the shipped rules loaded and evaluated without error
my $rules = HTTP::Tiny->new->get("http://127.0.0.1:$main::PromPort/api/v1/rules");
my @groups = $rules->{success}
             ? @{ JSON::PP::decode_json($rules->{content})->{data}{groups} } : ();
my @bad = grep { $_->{health} ne 'ok' && $_->{health} ne 'unknown' }
          map { @{ $_->{rules} } } @groups;
push @problems, "rule groups: " . scalar(@groups) unless @groups == 2;
push @problems, map { "rule $_->{name}: $_->{health} $_->{lastError}" } @bad;

ScepTest::report(@problems);
--- request
GET /check
--- response_body
ok
--- no_error_log
[error]
