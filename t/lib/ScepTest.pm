# Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE.
package ScepTest;

# What the ngx_scep suites share, on top of Test::Nginx::Socket:
#
# - every block logs $scep_log_json to logs/access.log (so that --- access_log
#   checks the JSON record) and to t/records/<test>.jsonl for the whole file;
# - check_records() validates every record the file produced against
#   docs/scep-log.schema.json;
# - ndes(...) is the stand-in for NDES the SCEP locations proxy to (also a
#   block's --- ndes section);
# - --- record checks a block's record as a JSON subset, in any key order;
# - a real SCEP server (micromdm scepserver) and a real client (scepclient).

use strict;
use warnings;

use Cwd qw(abs_path);
use Encode ();
use File::Basename qw(basename dirname);
use File::Path qw(make_path remove_tree);
use File::Temp qw(tempdir);
use IO::Socket::INET;
use JSON::PP ();
use POSIX ();
use Time::HiRes ();
use Test::More ();
use Test::Nginx::Socket ();

use Exporter 'import';
our @EXPORT = qw(check_records default_config scep_server enrol
                 message pkiop_get pkiop_post message_fields
                 nginx_version http2_listen ndes);

our $Top = abs_path(dirname(__FILE__) . '/../..');
our $Records = "$Top/t/records/" . basename($0, '.t') . '.jsonl';

make_path(dirname($Records));
unlink $Records;

my $DefaultConfig;

# the --- config of the blocks that have none
sub default_config {
    $DefaultConfig = shift;
}

Test::Nginx::Socket::add_block_preprocessor(sub {
    my $block = shift;

    if (!defined $block->config && defined $DefaultConfig) {
        $block->set_value('config', $DefaultConfig);
    }

    # What reaches the stand-in upstreams is the same on every nginx:
    # HTTP/1.1 without "Connection: close", as conf/ndes-edge.conf sets it
    # and as nginx does by default since 1.29.7 (before: HTTP/1.0, close).
    my $http_config = $block->http_config // '';
    $block->set_value('http_config', <<"_EOC_" . $http_config);
    log_format scep_json escape=none '\$scep_log_json';
    proxy_http_version 1.1;
    proxy_set_header Connection "";
_EOC_

    # --- ndes: the block's own stand-in for NDES, after its --- config
    if (defined(my $ndes = $block->ndes)) {
        die $block->name . ": --- ndes needs a --- config of its own\n"
            if $block->config eq ($DefaultConfig // '');
        my %opts = ref $ndes eq 'HASH' ? %$ndes : (answer => $ndes =~ s/\n\z//r);
        $block->set_value('config', $block->config . ndes(%opts));
    }

    my $config = $block->config // '';
    $block->set_value('config', <<"_EOC_" . $config);
        access_log logs/access.log scep_json if=\$scep_log_json;
        access_log $Records scep_json if=\$scep_log_json;
_EOC_

    record_prepare($block) if defined $block->record;
});


# The stand-in for NDES: a location of the same server that the SCEP
# locations proxy_pass to, as configuration text for default_config() or,
# the same options, a block's --- ndes section (a line: the answer; eval:
# a hash of options).
#
#   answer => TEXT   /ndes/ logs its hits in the combined format, so that
#                    --- access_log / --- no_access_log show what reached
#                    NDES, and answers 200 with TEXT (nginx's escapes, so
#                    'ndes: $request_method\n')
#   bare => 1        and answers NDES's 403 to the bare URL (no arguments)
#
#   file => NAME     /data/ answers with the fixture NAME of $TEST_NGINX_DATA
#                    (a variable is fine: '$certrep'), as NDES would
#   type => MIME     its Content-Type (default_type)
#   root => DIR      another directory: '$TEST_NGINX_EXPIRING'
#   first => TEXT    directives before the others (an if, gzip, ssi)
#
#   at => PATH       the location, for either (/ndes/ and /data/ by default)

sub ndes {
    my %o = @_;

    my $text;

    if (defined $o{answer}) {
        my $at = $o{at} // '/ndes/';
        $text = "    location $at {\n"
                . "        access_log logs/access.log;\n";
        $text .= "\n        if (\$args = \"\") {\n"
                 . "            return 403 \"403.0 Access denied\\n\";\n"
                 . "        }\n\n" if $o{bare};
        $text .= "        return 200 \"$o{answer}\";\n"
                 . "    }\n";

    } elsif (defined $o{file}) {
        my $at = $o{at} // '/data/';
        $text = "    location $at {\n";
        $text .= join('', map { "        $_\n" } split /\n/, $o{first})
            if defined $o{first};
        $text .= "        default_type $o{type};\n" if defined $o{type};
        $text .= "        root " . ($o{root} // '$TEST_NGINX_DATA') . ";\n"
                 . "        rewrite ^ /$o{file} break;\n"
                 . "    }\n";

    } else {
        die "ndes(): an answer or a file\n";
    }

    return $text;
}


# --- record: the JSON record ($scep_log_json) of each of the block's
# requests, checked as a subset of the record, in any key order, one test
# per request, under the real Test::Nginx and t/compat alike (a response
# body check of Test::Nginx::Socket).
#
#   --- record          JSON: an object, or an array of objects, one per
#                       request (an object alone applies to every request)
#   --- record eval     the same as Perl: a hash, or an array of hashes
#
# An expected object matches when every key it names is in the record's
# object with a matching value: objects as subsets, arrays element by
# element and of the same length, numbers, strings, true, false and null
# equal and of the same JSON type.  In Perl also:
#
#   qr/.../                a string or number of the record that matches
#   ScepTest::exact({...}) this object and every object in it have exactly
#                          the keys named, no other
#   ScepTest::subset({...})  inside exact(): this object as a subset again
#   ScepTest::absent       (as a value) the key is not in the record
#   ScepTest::integer      a JSON integer (what \d+ said unquoted)
#   ScepTest::around(N, D) a JSON integer from N - D to N + D
#   ScepTest::number       a JSON number ([0-9.]+ unquoted)
#   JSON::PP::true, JSON::PP::false
#
# The record of a request is the next JSON line of logs/access.log after
# those of the previous request, or after those that were there when
# the block's requests began (its --- init included); it may reach the
# log a little after the response (the log phase), so the check waits for
# it, up to $RecordWait seconds.  Every request of such a block must have
# a record.

our $RecordWait = 5;

my %Record;         # block => { expect => ..., seen => records before the next }
my $RecordBlock;    # the block whose --- init marks the log

{
    package ScepTest::Exact;
    package ScepTest::Absent;
    package ScepTest::Type;
    package ScepTest::Around;
}

my $Absent = bless \(my $absent = 'absent'), 'ScepTest::Absent';
my $Integer = bless \(my $integer = 'an integer'), 'ScepTest::Type';
my $Number = bless \(my $number = 'a number'), 'ScepTest::Type';

sub exact   { return bless { value => $_[0], exact => 1 }, 'ScepTest::Exact' }
sub subset  { return bless { value => $_[0], exact => 0 }, 'ScepTest::Exact' }
sub absent  { return $Absent }
sub integer { return $Integer }
sub number  { return $Number }
sub around  { return bless { n => $_[0], d => $_[1] }, 'ScepTest::Around' }

sub record_prepare {
    my ($block) = @_;

    my $name = $block->name;
    my $expect = $block->record;

    if (!ref $expect) {
        my $json = JSON::PP->new->relaxed;
        $json->utf8 unless utf8::is_utf8($expect);
        $expect = eval { $json->decode($expect) }
            // die "$name: --- record is not JSON: $@";
    }

    my @each = ref $expect eq 'ARRAY' ? @$expect : ($expect);
    for (@each) {
        my $r = ref $_;
        die "$name: --- record: an object or an array of objects, not "
            . ($r || 'a scalar') . "\n"
            unless $r eq 'HASH' || $r eq 'ScepTest::Exact';
    }

    $Record{$block} = { expect => $expect };
    $RecordBlock = $block;

    # after the block's own --- init, which may send requests of its own
    my $init = $block->init // '';
    $block->set_value('init', ($init =~ /\S/ ? "$init\n;\n" : '')
                              . "ScepTest::record_mark();\n");
}

# The JSON lines of the access log, whole lines only.

sub record_lines {
    open my $in, '<:raw', $Test::Nginx::Util::AccLogFile or return [];
    local $/;
    my $data = <$in> // '';
    close $in;

    $data = substr $data, 0, rindex($data, "\n") + 1;

    return [grep { /^\{/ } split /\n/, $data];
}

sub record_mark {
    my $st = $Record{$RecordBlock // ''} or return;

    $st->{seen} = scalar @{ record_lines() };
}

sub record_show {
    my ($v) = @_;

    return "$v" if ref $v eq 'Regexp';
    return 'nothing' if ref $v eq 'ScepTest::Absent';
    return $$v if ref $v eq 'ScepTest::Type';
    return ($v->{exact} ? 'exactly ' : 'at least ') . record_show($v->{value})
        if ref $v eq 'ScepTest::Exact';

    # what is expected may hold any of these inside
    my $json = JSON::PP->new->canonical->allow_nonref->ascii;

    return '{' . join(',', map { $json->encode($_) . ':' . record_show($v->{$_}) }
                               sort keys %$v) . '}'
        if ref $v eq 'HASH';
    return '[' . join(',', map { record_show($_) } @$v) . ']'
        if ref $v eq 'ARRAY';

    return $json->encode($v);
}

# What differs between what is expected and what is there, a line each.

sub record_diff {
    my ($exp, $act, $path, $exact) = @_;

    my $at = $path eq '' ? 'the record' : $path;

    if (ref $exp eq 'ScepTest::Exact') {
        return record_diff($exp->{value}, $act, $path, $exp->{exact});
    }

    if (ref $exp eq 'HASH') {
        return "$at: expected an object, got " . record_show($act)
            unless ref $act eq 'HASH';

        my @diff;

        for my $k (sort keys %$exp) {
            my $p = $path eq '' ? $k : "$path.$k";

            if (ref $exp->{$k} eq 'ScepTest::Absent') {
                push @diff, "$p: expected no such key, got " . record_show($act->{$k})
                    if exists $act->{$k};

            } elsif (!exists $act->{$k}) {
                push @diff, "$p: missing, expected " . record_show($exp->{$k});

            } else {
                push @diff, record_diff($exp->{$k}, $act->{$k}, $p, $exact);
            }
        }

        if ($exact) {
            for my $k (sort grep { !exists $exp->{$_} } keys %$act) {
                my $p = $path eq '' ? $k : "$path.$k";
                push @diff, "$p: not expected (exact), got " . record_show($act->{$k});
            }
        }

        return @diff;
    }

    if (ref $exp eq 'ARRAY') {
        return "$at: expected an array, got " . record_show($act)
            unless ref $act eq 'ARRAY';

        my @diff;
        push @diff, "$at: expected " . @$exp . " elements, got " . @$act
            if @$exp != @$act;

        for my $i (0 .. (@$exp < @$act ? $#$exp : $#$act)) {
            push @diff, record_diff($exp->[$i], $act->[$i], "$path\[$i\]", $exact);
        }

        return @diff;
    }

    if (ref $exp eq 'Regexp') {
        return "$at: expected a string or a number matching $exp, got "
               . record_show($act)
            if !defined $act || ref $act;

        my $copy = $act;    # matching would make a number of the record a string
        return $copy =~ $exp ? () : "$at: " . record_show($act) . " does not match $exp";
    }

    if (ref $exp eq 'ScepTest::Type') {
        my $json = ref $act ? '' : record_show($act);
        my $ok = $exp == $Integer ? $json =~ /^-?[0-9]+\z/
                                  : $json =~ /^-?[0-9]/;
        return $ok ? () : "$at: expected $$exp, got " . record_show($act);
    }

    if (ref $exp eq 'ScepTest::Around') {
        my $json = ref $act ? '' : record_show($act);
        return $json =~ /^-?[0-9]+\z/ && abs($json - $exp->{n}) <= $exp->{d}
               ? ()
               : "$at: expected an integer within $exp->{d} of $exp->{n}, got "
                 . record_show($act);
    }

    if (ref $exp eq 'ScepTest::Absent') {
        return "$at: ScepTest::absent is for the value of a key";
    }

    # a string, a number, true, false or null: the same JSON
    my ($e, $got) = (record_show($exp), record_show($act));

    return $e eq $got ? () : "$at: expected $e, got $got";
}

Test::Nginx::Socket::add_response_body_check(sub {
    my ($block, $body, $req_idx, $repeated_req_idx, $dry_run) = @_;

    my $st = $Record{$block} or return;
    my $name = $block->name;

    SKIP: {
        Test::More::skip("$name - record - tests skipped due to $dry_run", 1)
            if $dry_run;

        my $title = "$name - the record of request $req_idx (req $repeated_req_idx)";

        my $expect = ref $st->{expect} eq 'ARRAY' ? $st->{expect}[$req_idx]
                                                   : $st->{expect};

        if (!defined $expect) {
            Test::More::fail($title);
            Test::More::diag("--- record has no object for request $req_idx");
            last SKIP;
        }

        if (!defined $st->{seen}) {
            Test::More::fail($title);
            Test::More::diag("the access log was not marked before the requests");
            last SKIP;
        }

        my $lines = record_lines();
        my $deadline = Time::HiRes::time() + $RecordWait;

        while (@$lines <= $st->{seen} && Time::HiRes::time() < $deadline) {
            Time::HiRes::sleep(0.01);
            $lines = record_lines();
        }

        if (@$lines <= $st->{seen}) {
            Test::More::fail($title);
            Test::More::diag("no record in $Test::Nginx::Util::AccLogFile after "
                             . "the $st->{seen} before it, within ${RecordWait} s");
            last SKIP;
        }

        my $line = $lines->[ $st->{seen}++ ];
        my $rec = eval { JSON::PP->new->utf8->decode($line) };

        if (ref $rec ne 'HASH') {
            Test::More::fail($title);
            Test::More::diag("not a JSON object: $line");
            last SKIP;
        }

        my @diff = record_diff($expect, $rec, '', 0);

        Test::More::ok(!@diff, $title)
            or Test::More::diag(join "\n", @diff, "the record: $line");
    }
});


# The nginx under test (TEST_NGINX_BINARY) as one number, 1.25.1 -> 1025001,
# for what its configuration syntax depends on.

my $NginxVersion;

sub nginx_version {
    return $NginxVersion if defined $NginxVersion;

    my $bin = $ENV{TEST_NGINX_BINARY} // 'nginx';
    my $v = `$bin -v 2>&1`;
    $v =~ m{(?:nginx|openresty)/(\d+)\.(\d+)\.(\d+)}
        or die "ScepTest: no version from '$bin -v': $v";

    return $NginxVersion = $1 * 1000000 + $2 * 1000 + $3;
}


# An HTTP/2 listener: "listen ... http2" up to 1.25.0, deprecated since
# 1.25.1 for "http2 on", which older versions do not know.

sub http2_listen {
    my ($addr) = @_;

    return nginx_version() >= 1025001 ? "listen $addr;\n        http2 on;"
                                      : "listen $addr http2;";
}


# Every record of this test file: valid UTF-8, one JSON object a line,
# valid against the schema.

# The records this file's blocks wrote (t/records/<test>.jsonl), a line
# each.

sub file_records {
    open my $in, '<:raw', $Records or die "$Records: $!";
    return map { chomp; $_ } <$in>;
}

sub check_records {
    my %opts = @_;

    require JSON::Validator;

    my $jv = JSON::Validator->new;
    $jv->schema("$Top/docs/scep-log.schema.json");

    my ($n, @bad) = (0);

    if (open my $in, '<:raw', $Records) {
        while (my $line = <$in>) {
            chomp $line;
            $n++;

            my $text = eval {
                Encode::decode('UTF-8', $line, Encode::FB_CROAK)
            };
            if (!defined $text) {
                push @bad, "line $n: invalid UTF-8";
                next;
            }

            my $rec = eval { JSON::PP->new->decode($text) };
            if (!defined $rec || ref $rec ne 'HASH') {
                push @bad, "line $n: not a JSON object: $line";
                next;
            }

            my @errors = $jv->validate($rec);
            push @bad, map { "line $n: $_" } @errors;
        }
        close $in;
    }

    Test::More::ok($n > 0 && !@bad,
                   "$0 - $n JSON records validate against the schema")
        or Test::More::diag(join "\n", $n ? @bad : "no record in $Records");
}


# The Prometheus text format 0.0.4, strictly: every line a HELP, a TYPE or
# a sample of the family the last TYPE named; counters end in _total;
# histogram buckets rise, are cumulative and end in +Inf, with _sum and a
# _count equal to the +Inf bucket.  Returns the problems found and a hash
# of the samples, 'name{labels}' => value.

sub prometheus {
    my ($text) = @_;

    my (@bad, %samples, %type, %help, $family, %buckets, %seen);
    my $name_re = qr/[a-zA-Z_:][a-zA-Z0-9_:]*/;
    my $value_re = qr/[-+]?(?:\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\+Inf|-Inf|NaN)/;

    push @bad, 'does not end with a newline' unless $text =~ /\n\z/;

    my $n = 0;
    for my $line (split /\n/, $text) {
        $n++;

        if ($line =~ /^# HELP ($name_re) (.*)$/) {
            push @bad, "line $n: a second HELP for $1" if $help{$1}++;
            next;
        }

        if ($line =~ /^# TYPE ($name_re) (counter|gauge|histogram|summary|untyped)$/) {
            push @bad, "line $n: a second TYPE for $1" if $type{$1};
            push @bad, "line $n: TYPE after samples of $1" if $seen{$1};
            $type{$1} = $2;
            $family = $1;
            push @bad, "line $n: counter $1 does not end in _total"
                if $2 eq 'counter' && $1 !~ /_total$/;
            next;
        }

        if ($line =~ /^($name_re)(?:\{((?:$name_re="(?:[^"\\\n]|\\[\\"n])*"(?:,(?!\}))?)*)\})? ($value_re)$/) {
            my ($name, $labels, $value) = ($1, $2 // '', $3);
            my $base = $name;

            if (defined $family && ($type{$family} // '') eq 'histogram') {
                $base = $family if $name =~ /^\Q$family\E_(?:bucket|sum|count)$/;
            }

            if (!defined $family || $base ne $family) {
                push @bad, "line $n: sample $name outside its family's TYPE";
            }

            $seen{$base} = 1;
            push @bad, "line $n: duplicate sample $name\{$labels\}" if exists $samples{"$name\{$labels\}"};
            $samples{"$name\{$labels\}"} = $value;

            if ($name =~ /_bucket$/) {
                if ($labels !~ /(?:^|,)le="([^"]+)"/) {
                    push @bad, "line $n: a bucket without le";
                } else {
                    my $le = $1;
                    (my $rest = $labels) =~ s/(?:^|,)le="[^"]+"//;
                    $rest =~ s/^,//;
                    push @{ $buckets{$base}{$rest} }, [$le, $value];
                }
            }
            next;
        }

        push @bad, "line $n: not a HELP, TYPE or sample line: $line";
    }

    # a histogram's series by their labels other than le: a labelled one
    # may have none yet
    for my $h (grep { $type{$_} eq 'histogram' } keys %type) {
        for my $rest (sort keys %{ $buckets{$h} || {} }) {
            my $b = $buckets{$h}{$rest};
            my $s = "$h\{$rest\}";
            for my $i (1 .. $#$b) {
                my ($le0, $v0) = @{ $b->[$i - 1] };
                my ($le1, $v1) = @{ $b->[$i] };
                push @bad, "$s: le $le1 after $le0" unless $le1 eq '+Inf' || $le1 > $le0;
                push @bad, "$s: bucket $le1 ($v1) below bucket $le0 ($v0)" if $v1 < $v0;
            }
            push @bad, "$s: the last bucket is not +Inf"
                unless $b->[-1][0] eq '+Inf';
            push @bad, "$s: no ${h}_sum" unless exists $samples{"${h}_sum\{$rest\}"};
            push @bad, "$s: ${h}_count differs from the +Inf bucket"
                unless ($samples{"${h}_count\{$rest\}"} // -1) == $b->[-1][1];
        }
        push @bad, "$h: a sum or count without buckets"
            if grep { /^\Q$h\E_(?:sum|count)\{(.*)\}$/ && !$buckets{$h}{$1} } keys %samples;
    }

    for my $t (keys %type) {
        push @bad, "$t: TYPE without HELP" unless $help{$t};
    }

    return (\@bad, \%samples);
}


# What an --- init section found, for the block's own request to check:
# "ok", or the problems a line each, in html/check ("GET /check").

sub report {
    my @problems = @_;

    open my $out, '>', Test::Nginx::Util::html_dir() . '/check' or die $!;
    print $out @problems ? join("\n", @problems) . "\n" : "ok\n";
    close $out;
}


# GET /metrics of the nginx under test (a "scep_metrics" location), checked
# by prometheus(): returns the problems and the samples.

sub metrics {
    my $r = fetch('GET /metrics');

    $r =~ m{^HTTP/1\.1 200 .*?\r\nContent-Type: text/plain; version=0\.0\.4; charset=utf-8\r\n.*?\r\n\r\n(.*)\z}s
        or return (["GET /metrics: " . substr($r, 0, 200)], {});

    return prometheus($1);
}


# A pkiMessage from t/data.

sub message {
    my ($name) = @_;

    open my $in, '<:raw', "$Top/t/data/$name" or die "t/data/$name: $!";
    local $/;
    my $bytes = <$in>;
    close $in;

    return $bytes;
}


my $Manifest;

# What t/data/messages.json says a correct decoder reads from a fixture,
# as the "message" object of its record, for --- record: exactly these
# keys, the signer's subject the only one of "signer" besides its serial
# and fingerprint (checked against openssl in t/093-clock-skew.t).  Over
# GET also the query_encoding, of pkiop_get()'s 'percent' style unless
# named.  The fixtures' signingTime is a fixed day, so the skew is only an
# integer here.

sub message_fields {
    my ($name, $transport, $encoding) = @_;

    $Manifest //= do {
        open my $in, '<', "$Top/t/data/messages.json" or die $!;
        local $/;
        JSON::PP->new->decode(<$in>);
    };

    my $m = $Manifest->{$name} or die "no $name in t/data/messages.json";

    my %get = $transport eq 'get'
              ? (query_encoding => $encoding // ['percent']) : ();

    return exact({
        %get,
        type             => $m->{type},
        type_code        => 0 + $m->{type_code},
        transaction_id   => "$m->{transaction_id}",
        sender_nonce     => "$m->{sender_nonce}",
        digest_algorithm => $m->{digest},
        encoding         => $m->{encoding},
        size             => 0 + $m->{size},
        transport        => $transport,
        signer           => { subject => "$m->{signer_subject}",
                              serial => qr/^[0-9a-f]+$/,
                              fingerprint_sha256 => qr/^[0-9a-f]{64}$/ },
        clock_skew       => $Integer,
        clock_source     => 'signing_time',
        signature        => $m->{signature},
    });
}


# The request line of a PKIOperation GET carrying $bytes the way a client
# of the given style sends it:
#   percent   base64 percent-encoded (Android/jscep, Windows, iOS)
#   raw       base64 as is, '+' and '/' unescaped
#   space     '+' sent as %20, as after a form decoder
#   lf, crlf  sscep: line breaks every 64 characters, escaped
#   nopad     without the '=' padding

sub pkiop_get {
    my ($bytes, $style, $path) = @_;

    require MIME::Base64;

    $style //= 'percent';
    $path //= '/certsrv/mscep/mscep.dll';

    my $b64 = MIME::Base64::encode_base64($bytes, '');
    my $m;

    if ($style eq 'raw') {
        $m = $b64;

    } elsif ($style eq 'space') {
        ($m = $b64) =~ s/\+/%20/g;
        $m =~ s{/}{%2F}g;
        $m =~ s/=/%3D/g;

    } elsif ($style eq 'lf' || $style eq 'crlf') {
        my $br = $style eq 'lf' ? '%0A' : '%0D%0A';
        $m = join $br, map { s/\+/%2B/gr =~ s{/}{%2F}gr =~ s/=/%3D/gr }
                           unpack '(A64)*', $b64;
        $m .= $br;

    } elsif ($style eq 'nopad') {
        ($m = $b64) =~ s/=+$//;
        $m =~ s/\+/%2B/g;
        $m =~ s{/}{%2F}g;

    } else {
        ($m = $b64) =~ s/([^A-Za-z0-9])/sprintf('%%%02X', ord $1)/ge;
    }

    return "GET $path?operation=PKIOperation&message=$m";
}


# A whole PKIOperation POST request with a binary body, for --- raw_request
# (--- request would trim the body's leading and trailing white space).

sub pkiop_post {
    my ($bytes, %opts) = @_;

    my $path = $opts{path} // '/certsrv/mscep/mscep.dll';
    my $req = "POST $path?operation=PKIOperation HTTP/1.1\r\n"
              . "Host: localhost\r\n"
              . "Content-Type: application/x-pki-message\r\n"
              . "Connection: close\r\n";

    if ($opts{chunked}) {
        my $body = '';
        for my $chunk (unpack '(a1000)*', $bytes) {
            $body .= sprintf("%x\r\n", length $chunk) . "$chunk\r\n";
        }
        return $req . "Transfer-Encoding: chunked\r\n\r\n$body" . "0\r\n\r\n";
    }

    return $req . "Content-Length: " . length($bytes) . "\r\n\r\n$bytes";
}


# One request, on a connection of its own, to the nginx under test, from a
# --- init section: for what must happen before the block's own request.
# Returns the whole response.

sub fetch {
    my ($request, @headers) = @_;

    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => Test::Nginx::Util::server_port())
        or die "connect: $!";

    print $s join "\r\n", "$request HTTP/1.0", @headers, '', '';

    local $/;
    return scalar <$s>;
}


# Raw HTTP/1.1 requests, one after the other on keepalive connections to
# the nginx under test (a new one when nginx closes it); returns each
# response as [status, body].  For --- init sections that send many.

sub keepalive {
    my (@requests) = @_;

    my ($s, @responses);

    for my $req (@requests) {
        $s //= IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                     PeerPort => Test::Nginx::Util::server_port())
            or die "connect: $!";

        print $s $req;

        my $head = '';
        while ($head !~ /\r\n\r\n\z/) {
            my $n = sysread $s, $head, 1, length $head;
            die "connection closed before a response to: "
                . substr($req, 0, 80) unless $n;
        }

        my ($status) = $head =~ m{^HTTP/1\.1 (\d{3}) } or die "bad response: $head";
        my ($len) = $head =~ /^Content-Length: (\d+)\r$/mi;
        my $body = '';

        while (defined $len && length $body < $len) {
            my $n = sysread $s, $body, $len - length $body, length $body;
            die "connection closed in a body" unless $n;
        }

        push @responses, [$status, $body];

        if ($head =~ /^Connection: close\r$/mi || !defined $len) {
            close $s;
            undef $s;
        }
    }

    close $s if $s;

    return @responses;
}


sub free_port {
    for (1 .. 50) {
        my $port = 20000 + int(rand(20000));
        my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                      LocalPort => $port, Listen => 1,
                                      ReuseAddr => 1);
        if ($s) {
            close $s;
            return $port;
        }
    }
    die "no free port";
}


sub wait_port {
    my ($port) = @_;

    for (1 .. 100) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                      PeerPort => $port);
        if ($s) {
            close $s;
            return 1;
        }
        select undef, undef, undef, 0.1;
    }

    die "nothing listens on port $port";
}


my @Servers;
my $Parent = $$;

END {
    # waitpid sets $?, which END would make the exit status of the test
    local $?;

    @Servers = () if $$ != $Parent;

    for my $pid (@Servers) {
        kill 'TERM', $pid;
        waitpid $pid, 0;
    }
}


# A fresh CA and scepserver; its port is $TEST_NGINX_SCEP_PORT in configs.

sub scep_server {
    my %opts = @_;

    my $dir = tempdir('scep-ca-XXXXXX', TMPDIR => 1, CLEANUP => 1);

    system("cd $dir && scepserver ca -init -depot depot -keySize 2048"
           . " >/dev/null 2>&1") == 0
        or die "scepserver ca -init failed";

    my $port = free_port();
    my @cmd = ('scepserver', '-depot', "$dir/depot", '-port', $port);
    push @cmd, '-challenge', $opts{challenge} if defined $opts{challenge};

    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDOUT, '>', "$dir/scepserver.log";
        open STDERR, '>&', \*STDOUT;
        exec @cmd or POSIX::_exit(127);
    }

    push @Servers, $pid;
    wait_port($port);

    $ENV{TEST_NGINX_SCEP_PORT} = $port;

    return { dir => $dir, port => $port, ca => "$dir/depot/ca.pem" };
}


# Enrols one device with scepclient, in a fresh directory (it caches its
# signer certificate there), and writes what became of it to $result:
# "issued" when the certificate verifies against the CA.  Its key is
# RSA of bits => N bits (2048).

sub enrol {
    my %opts = @_;

    my $dir = tempdir('scep-device-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    my $out = "$dir/scepclient.log";

    my $bits = $opts{bits} // 2048;

    system("openssl genrsa -traditional -out $dir/key.pem $bits 2>/dev/null")
        == 0 or die "openssl genrsa failed";

    my @cmd = ('scepclient', '-server-url', $opts{url},
               '-private-key', "$dir/key.pem",
               '-cn', $opts{cn} // 'test-device');
    push @cmd, '-challenge', $opts{challenge} if defined $opts{challenge};

    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        chdir $dir;
        open STDOUT, '>', $out;
        open STDERR, '>&', \*STDOUT;
        exec @cmd or POSIX::_exit(127);
    }
    waitpid $pid, 0;

    my $verdict = 'failed';
    if (-s "$dir/client.pem"
        && system("openssl verify -CAfile $opts{server}{ca}"
                  . " $dir/client.pem >/dev/null 2>&1") == 0)
    {
        $verdict = 'issued';
    }

    open my $fh, '>', $opts{result} or die "$opts{result}: $!";
    print $fh "$verdict\n";
    close $fh;

    if ($verdict ne "issued" && !$opts{quiet} && open my $log, "<", $out) {
        Test::More::diag("scepclient: $_") while <$log>;
    }

    return $verdict;
}

1;
