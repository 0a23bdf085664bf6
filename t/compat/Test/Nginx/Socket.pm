# Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE.
package Test::Nginx::Socket;

# Compat harness: a minimal, compatible subset of openresty's Test::Nginx::Socket,
# loaded via t/compat only when the real Test::Nginx is not installed.

use v5.10.1;
use strict;
use warnings;

# Same inheritance as the real module (which says "-Base"); "-base" gives the
# same import/export behaviour without Spiffy's source filter.
use Test::Base -base;

our $VERSION = '0.29_compat';

use Time::HiRes qw( sleep time );
use IO::Select ();
use IO::Socket::INET ();
use List::Util qw( min );
use POSIX qw( EAGAIN EWOULDBLOCK EINTR WNOHANG );
use Encode ();
use Digest::MD5 ();
use Digest::SHA ();

use Test::Nginx::Util;

our @EXPORT = qw( env_to_nginx is_str plan run_tests run_test
  repeat_each config_preamble worker_connections
  master_process_enabled
  no_long_string workers master_on master_off
  log_level no_shuffle no_root_location use_hup
  server_name
  server_addr server_root html_dir server_port server_port_for_client
  timeout no_nginx_manager check_accum_error_log
  add_block_preprocessor bail_out add_cleanup_handler
  add_response_body_check
);

# how long to wait for expected log lines to show up, and how long to let
# the logs settle before checking that something is NOT logged
our $LogPollTimeout = 1;
our $LogSettleTime  = 0.1;

our $TotalConnectingTimeouts = 0;
our @ResponseBodyChecks;

sub value_contains ($$);

*run_test = \&Test::Nginx::Util::run_test;

$RunTestHelper = \&run_test_helper;
$CheckErrorLog = \&check_error_log;

sub set_http_config_filter ($) { $FilterHttpConfig = shift }
sub add_response_body_check ($) { push @ResponseBodyChecks, shift }

sub builder_no_ending () { Test::More->builder->no_ending(1) }

# ---------------------------------------------------------------------------
# building requests
# ---------------------------------------------------------------------------

# Split "METHOD [URL [VERSION]]\n<body>" into its parts, remembering how many
# characters each piece occupied in the original text.
sub parse_request ($$) {
    my ($name, $rrequest) = @_;

    my $text = $$rrequest;
    my ($first, $content);
    if ($text =~ /\A([^\n]*\n?)(.*)\z/s) {
        ($first, $content) = ($1, $2);
    }

    if (!defined $first || $first eq '') {
        bail_out("$name - Request line should be non-empty");
    }

    if ($first !~ /^(\s*)(\S+)( *)(?:(\S+)( *))?(?:(\S+)( *))?(\s*)$/) {
        bail_out("$name - Request line is not valid. Should be 'meth [url [version]]' but got \"$first\".");
    }

    my %r = (
        lead    => length $1,
        method  => $2,
        sp1     => length $3,
        url     => $4,
        sp2     => defined $5 ? length $5 : 0,
        ver     => $6,
        tail    => (defined $7 ? length $7 : 0) + length $8,
        content => $content,
    );

    $r{url_len} = defined $r{url} ? length $r{url} : 0;
    $r{url} = '/' unless defined $r{url};
    $r{ver_len} = defined $r{ver} ? length $r{ver} : 0;
    $r{ver} = 'HTTP/1.1' unless defined $r{ver};

    return \%r;
}

# Apply a list of [original_length, replacement] edits, which together cover
# the whole concatenated request, to a list of packets, keeping the packet
# boundaries where they were as far as possible.
sub apply_edits ($$) {
    my ($packets, $edits) = @_;

    my @in = map { defined $_ ? $_ : '' } @$packets;
    my @out = ('') x @in;
    my ($pi, $off) = (0, 0);

    for my $e (@$edits) {
        my ($len, $repl) = @$e;
        while ($pi < $#in && $len > length($in[$pi]) - $off) {
            my $rem = length($in[$pi]) - $off;
            if ($rem > 0 && length $repl) {
                $out[$pi] .= substr($repl, 0, $rem, '');
            }
            $len -= $rem;
            $pi++;
            $off = 0;
        }
        $out[$pi] .= $repl;
        $off += $len;
    }

    $out[$pi] .= substr($in[$pi], $off) if $off < length $in[$pi];
    for my $j ($pi + 1 .. $#in) {
        $out[$j] .= $in[$j];
    }

    return \@out;
}

sub build_request_from_packets ($$$$$) {
    my ($name, $more_headers, $is_chunked, $conn_header, $packets) = @_;

    my $whole = join '', map { defined $_ ? $_ : '' } @$packets;
    my $r = parse_request($name, \$whole);

    my $content = $r->{content};
    my $len_header = '';
    if (!$is_chunked && $content ne ''
        && $more_headers !~ /(?:^|\n)Content-Length:/)
    {
        # like the real one: the body is trimmed
        $content =~ s/^\s+|\s+$//gs;
        $len_header = "Content-Length: " . length($content) . "\r\n";
    }

    $more_headers =~ s/(?<!\r)\n/\r\n/gs;

    my $headers = '';
    if ($more_headers !~ /(?:^|\n)Host:/msi) {
        $headers .= "Host: $ServerName\r\n";
    }
    if ($more_headers !~ /(?:^|\n)Connection/msi) {
        $headers .= "Connection: $conn_header\r\n";
    }
    $headers .= "$more_headers$len_header\r\n";

    my @edits = (
        [$r->{lead}, ''],
        [length $r->{method}, "$r->{method} "],
        [$r->{sp1}, ''],
        [$r->{url_len}, "$r->{url} "],
        [$r->{sp2}, ''],
        [$r->{ver_len}, "$r->{ver}\r\n"],
        [$r->{tail}, ''],
        [0, $headers],
        [length $r->{content}, $content],
    );

    return apply_edits($packets, \@edits);
}

sub parse_more_headers ($) {
    my ($in) = @_;
    my $out = '';
    my $is_chunked;
    for my $header (split /\n+/, $in) {
        next if $header =~ /^\s*\#/;
        my ($key, $val) = split /:\s*/, $header, 2;
        $val = '' unless defined $val;
        if (lc($key) eq 'transfer-encoding' && $val eq 'chunked') {
            $is_chunked = 1;
        }
        $out .= "$key: $val\r\n";
    }
    return ($out, $is_chunked);
}

sub more_headers_for ($$$) {
    my ($more_headers, $i, $what) = @_;
    my $hdr;
    if (ref $more_headers eq 'ARRAY') {
        $hdr = $more_headers->[$i];
        if (!defined $hdr) {
            bail_out("--- more_headers lacks data for the $what");
        }
    } else {
        $hdr = $more_headers;
    }
    return parse_more_headers($hdr);
}

# Returns a list of requests; each request is a list of packets
# ({ value => ..., delay_before => ... }).
sub get_req_from_block ($) {
    my ($block) = @_;
    my $name = $block->name;
    my @req_list;

    if (defined $block->raw_request) {
        my $raw = $block->raw_request;
        if (ref $raw && ref $raw eq 'ARRAY') {
            push @req_list, [map { ref $_ eq 'HASH' ? $_ : { value => $_ } } @$raw];
        } else {
            push @req_list, [{ value => $raw }];
        }
        return \@req_list;
    }

    my $request;
    if (defined $block->request_eval) {
        diag "$name - request_eval DEPRECATED. Use request eval instead.";
        $request = eval $block->request_eval;
        warn $@ if $@;
    } else {
        $request = $block->request;
        if (defined $request && !ref $request) {
            # leading blank space and comment lines
            while ($request =~ s/^\s*\#[^\n]+\s+|^\s+//gs) { }
        }
    }

    my $more_headers = $block->more_headers || '';

    if ($block->pipelined_requests) {
        my $reqs = $block->pipelined_requests;
        if (!ref $reqs || ref $reqs ne 'ARRAY') {
            bail_out("$name - invalid entries in --- pipelined_requests");
        }
        my $prq = '';
        my $i = 0;
        for my $one (@$reqs) {
            my $conn = $i == @$reqs - 1 ? 'close' : 'keep-alive';
            my ($hdr, $chunked) = more_headers_for($more_headers, $i,
                                                   "$i pipelined request");
            my $built = build_request_from_packets($name, $hdr, $chunked,
                                                   $conn, [$one]);
            $prq .= $built->[0];
            $i++;
        }
        push @req_list, [{ value => $prq }];
        return \@req_list;
    }

    if (!ref $request) {
        my ($hdr, $chunked) = more_headers_for($more_headers, 0, "request");
        my $built = build_request_from_packets($name, $hdr, $chunked, 'close',
                                               [$request]);
        push @req_list, [{ value => $built->[0] }];

    } elsif (ref $request eq 'ARRAY') {
        my $i = 0;
        for my $one (@$request) {
            my ($hdr, $chunked) = more_headers_for($more_headers, $i,
                                                   "${i}th request");
            if (!ref $one) {
                my $built = build_request_from_packets($name, $hdr, $chunked,
                                                       'close', [$one]);
                push @req_list, [{ value => $built->[0] }];

            } elsif (ref $one eq 'ARRAY') {
                my @values;
                for my $p (@$one) {
                    if (!ref $p) {
                        push @values, $p;
                    } elsif (ref $p eq 'HASH') {
                        push @values, $p->{value};
                    } else {
                        bail_out "$name - Invalid syntax. $p should be a string or hash with value.";
                    }
                }
                my $built = build_request_from_packets($name, $hdr, $chunked,
                                                       'close', \@values);
                my @packets;
                for my $idx (0 .. $#$built) {
                    my $orig = $one->[$idx];
                    if (ref $orig) {
                        push @packets, { %$orig, value => $built->[$idx] };
                    } else {
                        push @packets, { value => $built->[$idx] };
                    }
                }
                push @req_list, \@packets;

            } else {
                bail_out "$name - Invalid syntax. $one should be a string or an array of packets.";
            }
            $i++;
        }

    } else {
        bail_out("$name - invalid ---request : MUST be string or array of requests");
    }

    return \@req_list;
}

# ---------------------------------------------------------------------------
# talking to nginx
# ---------------------------------------------------------------------------

sub child_is_gone () {
    my $pid = $Test::Nginx::Util::ChildPid;
    return 0 unless defined $pid;
    my $r = waitpid($pid, WNOHANG);
    return $r == $pid || $r == -1;
}

sub connect_to_server ($$) {
    my ($block, $timeout) = @_;
    my $name = $block->name;

    my $addr = $block->server_addr_for_client;
    $addr = $ServerAddr unless defined $addr;

    my $total_tries = $TotalConnectingTimeouts ? 20 : 50;
    my $err;
    for my $tries (1 .. $total_tries) {
        my $sock = IO::Socket::INET->new(
            PeerAddr => $addr,
            PeerPort => $ServerPortForClient,
            Proto    => 'tcp',
            Timeout  => $timeout,
        );
        return $sock if $sock;
        $err = $!;

        if (child_is_gone()) {
            builder_no_ending();
            fail("$name - Can't connect to $addr:$ServerPortForClient: $err (nginx is gone)\n");
            return undef;
        }

        my $wait = (sleep_time() + sleep_time() * $tries) * $tries / 2;
        $wait = 1 if $wait > 1;
        if ($wait >= 0.6) {
            warn "$name - Can't connect to $addr:$ServerPortForClient: $err\n";
            warn "\tRetry connecting after $wait sec\n" if $tries < $total_tries;
        }
        sleep $wait;
    }

    my $msg = "$name - Can't connect to $addr:$ServerPortForClient: $err (aborted)\n";
    if (++$TotalConnectingTimeouts < 3) {
        builder_no_ending();
        fail($msg);
    } else {
        bail_out($msg);
    }
    return undef;
}

# Sends one request (a list of packets) over a fresh connection and reads
# the whole response until the server closes the connection.
sub send_request ($$$$) {
    my ($req, $middle_delay, $timeout, $block) = @_;
    my $name = $block->name;

    my @bits = ref $req ? @$req : ({ value => $req });

    my $head_req = (join '', map { $_->{value} // '' } @bits) =~ /^\s*HEAD\s+/ ? 1 : 0;

    my $sock = connect_to_server($block, $timeout) or return (undef, $head_req);
    $sock->blocking(0);

    local $SIG{PIPE} = 'IGNORE';

    my $resp = '';
    my $cur = shift @bits;
    my $buf = $cur->{value} // '';
    my $off = 0;
    my $writing = 1;
    my $write_failed;
    my $sel = IO::Select->new($sock);

    IO: while (1) {
        my ($r, $w) = IO::Select->select($sel, $writing ? $sel : undef, undef, $timeout);

        if (!$r && !$w) {
            next IO if $!{EINTR};
            # timed out
            close $sock;
            if (!defined $block->abort) {
                builder_no_ending();
                fail("ERROR: client socket timed out - $name\n");
            } else {
                sleep 0.005;
            }
            last IO;
        }

        if ($r && @$r) {
            while (1) {
                my $chunk;
                my $n = sysread($sock, $chunk, 8192);
                if (!defined $n) {
                    last if $! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR;
                    warn "WARNING: $name - HTTP response read failure: $!\n";
                    close $sock;
                    last IO;
                }
                if ($n == 0) {
                    close $sock;
                    last IO;
                }
                $resp .= $chunk;
            }
        }

        if ($writing && $w && @$w) {
            while (1) {
                my $rest = length($buf) - $off;
                if ($rest > 0) {
                    my $n = syswrite($sock, $buf, $rest, $off);
                    if (!defined $n) {
                        last if $! == EAGAIN || $! == EWOULDBLOCK || $! == EINTR;
                        # stop writing, but still collect what the server sent
                        $write_failed = "write failed: $!";
                        warn "$write_failed\n";
                        $writing = 0;
                        last;
                    }
                    $off += $n;
                    next;
                }

                my $next = shift @bits;
                if (!defined $next) {
                    $writing = 0;
                    my $shutdown = $block->shutdown;
                    if (defined $shutdown) {
                        $shutdown = 1 if $shutdown =~ /^$/s;
                        shutdown($sock, $shutdown);
                    }
                    last;
                }

                $buf = $next->{value} // '';
                $off = 0;
                my $wait = defined $next->{delay_before} ? $next->{delay_before}
                                                         : $middle_delay;
                sleep $wait if $wait;
            }
        }
    }

    if ($resp eq '' && defined $write_failed) {
        $resp = $write_failed;
    }

    return ($resp, $head_req);
}

# ---------------------------------------------------------------------------
# parsing responses
# ---------------------------------------------------------------------------

sub parse_response ($$$) {
    my ($name, $raw_resp, $head_req) = @_;

    my $left;
    my $raw_headers = '';
    if ($raw_resp =~ /(.*?\r\n)\r\n/s) {
        $raw_headers = $1;
    }

    my $res = Test::Nginx::Socket::Response->parse($raw_resp);
    my $code = $res->code;

    if (defined $code && $code ne '' && $code !~ /^\d+$/) {
        $res->code(undef);
        undef $code;
    }

    if ($code && ($code == 304 || $code == 101)) {
        return ($res, $raw_headers);
    }

    my $enc = $res->header('Transfer-Encoding');
    my $len = $res->header('Content-Length');

    if (defined $enc && $enc eq 'chunked') {
        my $raw = $res->content;
        $raw = '' unless defined $raw;
        my $decoded = '';

        while (1) {
            if ($raw =~ /\G0[ \t]*\r\n\r\n/gc) {
                if ($raw =~ /\G(.+)/gcs) {
                    $left = $1;
                }
                last;
            }

            if ($raw =~ /\G[ \t]*([A-Fa-f0-9]+)[ \t]*\r\n/gc) {
                my $size = hex $1;
                my $pos = pos $raw;
                if (length($raw) - $pos < $size) {
                    builder_no_ending();
                    fail("$name - invalid chunked data received "
                         . "(not enought octets for the data section)");
                    return;
                }
                $decoded .= substr($raw, $pos, $size);
                pos($raw) = $pos + $size;

                if ($raw !~ /\G\r\n/gc) {
                    builder_no_ending();
                    fail("$name - invalid chunked data received (expected CRLF).");
                    return;
                }

            } elsif ($raw =~ /\G(.+)/gcs) {
                builder_no_ending();
                fail("$name - invalid chunked body received: $1");
                return;

            } else {
                builder_no_ending();
                fail("$name - no last chunk found - $raw");
                return;
            }
        }

        $res->content($decoded);

    } elsif (defined $len && $len =~ /^\s*(\d+)\s*$/) {
        $len = $1;
        my $raw = $res->content;
        $raw = '' unless defined $raw;
        if (length $raw < $len) {
            if (!$head_req) {
                warn "WARNING: $name - response body truncated: ",
                     "$len expected, but got ", length $raw, "\n";
            }
        } elsif (length $raw > $len) {
            $left = substr $raw, $len;
            $res->content(substr $raw, 0, $len);
        }
    }

    return ($res, $raw_headers, $left);
}

# ---------------------------------------------------------------------------
# checks
# ---------------------------------------------------------------------------

sub get_indexed_value ($$$$) {
    my ($name, $value, $req_idx, $need_array) = @_;
    if ($need_array) {
        if (ref $value && ref $value eq 'ARRAY') {
            return $value->[$req_idx];
        }
        bail_out("$name - You asked for many requests, the expected results should be arrays as well.");
    }
    if (ref $value && ref $value eq 'ARRAY') {
        if ($req_idx != 0) {
            bail_out("$name - SHOULD NOT HAPPEN: idx != 0 and don't need array.");
        }
        return $value->[0];
    }
    return $value;
}

sub check_error_code ($$$$$) {
    my ($block, $res, $dry_run, $req_idx, $need_array) = @_;
    my $name = $block->name;
    my $got = ($res && $res->code) || '';
    SKIP: {
        skip "$name - tests skipped due to $dry_run", 1 if $dry_run;

        if (defined $block->error_code_like) {
            my $val = get_indexed_value($name, $block->error_code_like,
                                        $req_idx, $need_array);
            like($got, qr/$val/sm, "$name - status code ok");

        } elsif (defined $block->error_code) {
            is($got, get_indexed_value($name, $block->error_code, $req_idx,
                                       $need_array),
               "$name - status code ok");

        } else {
            is($got, 200, "$name - status code ok");
        }
    }
}

sub check_raw_response_headers ($$$$$) {
    my ($block, $raw_headers, $dry_run, $req_idx, $need_array) = @_;
    my $name = $block->name;
    $raw_headers = '' unless defined $raw_headers;

    if (defined $block->raw_response_headers_like) {
        SKIP: {
            skip "$name - raw_response_headers_like - tests skipped due to $dry_run", 1 if $dry_run;
            my $expected = get_indexed_value($name, $block->raw_response_headers_like,
                                             $req_idx, $need_array);
            like($raw_headers, qr/$expected/s, "$name - raw resp headers like");
        }
    }

    if (defined $block->raw_response_headers_unlike) {
        SKIP: {
            skip "$name - raw_response_headers_unlike - tests skipped due to $dry_run", 1 if $dry_run;
            my $expected = get_indexed_value($name, $block->raw_response_headers_unlike,
                                             $req_idx, $need_array);
            unlike($raw_headers, qr/$expected/s, "$name - raw resp headers unlike");
        }
    }
}

sub check_response_headers ($$$$$$) {
    my ($block, $res, $raw_headers, $dry_run, $req_idx, $need_array) = @_;
    my $name = $block->name;
    $raw_headers = '' unless defined $raw_headers;

    if (defined $block->response_headers) {
        my $headers = parse_headers(get_indexed_value($name, $block->response_headers,
                                                      $req_idx, $need_array));
        for my $key (sort keys %$headers) {
            my $val = $headers->{$key};
            if (!defined $val) {
                SKIP: {
                    skip "$name - response_headers - tests skipped due to $dry_run", 1 if $dry_run;
                    unlike($raw_headers, qr/^\s*\Q$key\E\s*:/ms,
                           "$name - header $key not present in the raw headers");
                }
                next;
            }

            $val =~ s/\$ServerPort\b/$ServerPort/g;
            $val =~ s/\$ServerPortForClient\b/$ServerPortForClient/g;

            my $actual = $res ? $res->header($key) : undef;
            $actual = '' unless defined $actual;

            SKIP: {
                skip "$name - response_headers - tests skipped due to $dry_run", 1 if $dry_run;
                is($actual, $val, "$name - header $key ok");
            }
        }

    } elsif (defined $block->response_headers_like) {
        my $headers = parse_headers(get_indexed_value($name, $block->response_headers_like,
                                                      $req_idx, $need_array));
        for my $key (sort keys %$headers) {
            my $val = $headers->{$key};
            $val = '' unless defined $val;
            my $actual = $res ? $res->header($key) : undef;
            $actual = '' unless defined $actual;
            SKIP: {
                skip "$name - response_headers_like - tests skipped due to $dry_run", 1 if $dry_run;
                like($actual, qr/^$val$/, "$name - header $key like ok");
            }
        }
    }
}

sub run_filter_helper ($$$) {
    my ($block, $filter, $content) = @_;
    my $name = $block->name;

    if (ref $filter && ref $filter eq 'CODE') {
        return $filter->($content);
    }

    if (ref $filter) {
        bail_out("$name - the --- response_body_filters section only supports "
                 . "subroutine reference values and string values");
    }

    my %builtin = (
        md5_hex  => sub { Digest::MD5::md5_hex($_[0]) },
        sha1_hex => sub { Digest::SHA::sha1_hex($_[0]) },
        uc       => sub { uc $_[0] },
        lc       => sub { lc $_[0] },
        ucfirst  => sub { ucfirst $_[0] },
        lcfirst  => sub { lcfirst $_[0] },
        length   => sub { length $_[0] },
    );
    my $f = $builtin{$filter}
        or bail_out("$name - unknown filter, \"$filter\", specified in the "
                    . "--- response_body_filters section");
    return $f->($content);
}

sub transform_response_body ($$$) {
    my ($block, $res, $req_idx) = @_;
    return unless defined $res;
    my $content = $res->content;
    return unless defined $content;

    my $filters = $block->response_body_filters;
    return unless defined $filters;
    my $name = $block->name;

    if (!ref $filters) {
        $filters =~ s/^\s+|\s+$//gs;
        $filters = [split /\s+/, $filters];
    } elsif (ref $filters ne 'ARRAY') {
        $filters = [$filters];
    }

    my $filter = $filters;
    if (ref $filters->[0] eq 'ARRAY') {
        for my $elem (@$filters) {
            if (ref $elem ne 'ARRAY') {
                bail_out("$name - the --- response_body_filters two-dimensional array "
                         . "only be like [[uc], [lc]] not [[uc], lc]");
            }
        }
        $filter = $filters->[$req_idx];
        bail_out("$name - the ---response_body_filters two-dimensional array "
                 . "unmatch the specified request($req_idx)") unless defined $filter;
    }

    my $new = $content;
    for my $f (ref $filter eq 'ARRAY' ? @$filter : ($filter)) {
        $new = run_filter_helper($block, $f, $new);
    }
    $res->content($new);
}

sub check_response_body ($$$$$$) {
    my ($block, $res, $dry_run, $req_idx, $repeated_req_idx, $need_array) = @_;
    my $name = $block->name;

    if (defined $block->response_body || defined $block->response_body_eval) {
        my $content = $res ? $res->content : undef;
        if (defined $content) {
            $content =~ s/^TE: deflate,gzip;q=0\.3\r\n//gms;
            $content =~ s/^Connection: TE, close\r\n//gms;
        }

        my $expected;
        if ($block->response_body_eval) {
            diag "$name - response_body_eval is DEPRECATED. Use response_body eval instead.";
            $expected = eval get_indexed_value($name, $block->response_body_eval,
                                               $req_idx, $need_array);
            warn $@ if $@;
        } else {
            $expected = get_indexed_value($name, $block->response_body,
                                          $req_idx, $need_array);
        }

        if ($block->charset) {
            Encode::from_to($expected, 'UTF-8', $block->charset);
        }

        if (defined $expected && !ref $expected) {
            $expected =~ s/\$ServerPort\b/$ServerPort/g;
            $expected =~ s/\$ServerPortForClient\b/$ServerPortForClient/g;
        }

        SKIP: {
            skip "$name - response_body - tests skipped due to $dry_run", 1 if $dry_run;
            if (ref $expected) {
                like($content, $expected,
                     "$name - response_body - like (repeated req $repeated_req_idx, req $req_idx)");
            } else {
                Test::More::is($content, $expected,
                    "$name - response_body - response is expected (repeated req $repeated_req_idx, req $req_idx)");
            }
        }

    } elsif (defined $block->response_body_like
             || defined $block->response_body_unlike)
    {
        my ($patterns, $type, $cmp);
        if (defined $block->response_body_like) {
            ($patterns, $type, $cmp) = ($block->response_body_like, 'like', \&Test::More::like);
        } else {
            ($patterns, $type, $cmp) = ($block->response_body_unlike, 'unlike', \&Test::More::unlike);
        }

        my $content = $res ? $res->content : undef;
        if (defined $content) {
            $content =~ s/^TE: deflate,gzip;q=0\.3\r\n//gms;
            $content =~ s/^Connection: TE, close\r\n//gms;
        }

        my $pat = get_indexed_value($name, $patterns, $req_idx, $need_array);
        if (!ref $pat) {
            $pat =~ s/\$ServerPort\b/$ServerPort/g;
            $pat =~ s/\$ServerPortForClient\b/$ServerPortForClient/g;
        }
        my $summary = trim($content);
        $summary = '' unless defined $summary;

        SKIP: {
            skip "$name - response_body_$type - tests skipped due to $dry_run", 1 if $dry_run;
            $cmp->($content, qr/$pat/s,
                   "$name - response_body_$type - response is expected ($summary)");
        }
    }

    for my $check (@ResponseBodyChecks) {
        $check->($block, $res ? $res->content : undef, $req_idx, $repeated_req_idx, $dry_run);
    }
}

sub fmt_str ($) {
    my $str = shift;
    chomp $str;
    $str =~ s/"/\\"/g;
    $str =~ s/\r/\\r/g;
    $str =~ s/\n/\\n/g;
    return $str;
}

sub value_contains ($$) {
    my ($val, $pat) = @_;
    if (!ref $val || ref $val eq 'Regexp') {
        return $val =~ /\Q$pat\E/;
    }
    if (ref $val eq 'ARRAY') {
        for my $v (@$val) {
            return 1 if value_contains($v, $pat);
        }
    }
    return undef;
}

sub pattern_list ($) {
    my $pats = shift;
    if (!ref $pats) {
        chomp $pats;
        return [split /\n+/, $pats];
    }
    if (ref $pats eq 'Regexp') {
        return [$pats];
    }
    return [@$pats];
}

sub line_matches ($$) {
    my ($line, $pat) = @_;
    return (ref $pat && $line =~ /$pat/) || $line =~ /\Q$pat\E/;
}

# Collect log lines: let the log settle first when something must NOT be
# there, then poll (up to $LogPollTimeout) until all expected patterns show up.
sub collect_log_lines ($$$) {
    my ($reader, $expected, $settle) = @_;

    sleep $LogSettleTime if $settle;

    my ($lines, $full) = $reader->();
    my @want = grep { defined } @$expected;
    return $lines unless @want;

    my $deadline = time + $LogPollTimeout;
    while (1) {
        my $missing = 0;
        PAT: for my $pat (@want) {
            for my $line (@$lines) {
                next PAT if line_matches($line, $pat);
            }
            $missing = 1;
            last;
        }
        last if !$missing || time >= $deadline;

        sleep 0.02;
        my ($more, $is_full) = $reader->();
        if ($is_full) {
            $lines = $more;
        } else {
            push @$lines, @$more;
        }
    }

    return $lines;
}

sub check_log_patterns ($$$$$$) {
    my ($name, $lines, $pats, $dry_run, $repeated_req_idx, $what) = @_;
    # $what: [section name, file name]
    my ($section, $file) = @$what;

    for my $line (@$lines) {
        for my $pat (@$pats) {
            next unless defined $pat;
            if (line_matches($line, $pat)) {
                SKIP: {
                    skip "$name - $section - tests skipped due to $dry_run", 1 if $dry_run;
                    pass("$name - pattern \"$pat\" matches a line in $file (req $repeated_req_idx)");
                }
                undef $pat;
            }
        }
    }

    for my $pat (@$pats) {
        next unless defined $pat;
        SKIP: {
            skip "$name - $section - tests skipped due to $dry_run", 1 if $dry_run;
            fail("$name - pattern \"$pat\" should match a line in $file (req $repeated_req_idx)");
        }
    }
}

sub check_no_log_patterns ($$$$$$) {
    my ($name, $lines, $pats, $dry_run, $repeated_req_idx, $what) = @_;
    my ($section, $file) = @$what;

    my %found;
    for my $i (0 .. $#$lines) {
        my $line = $lines->[$i];
        for my $pat (@$pats) {
            next unless defined $pat;
            next unless line_matches($line, $pat);

            if ($found{$pat}++) {
                builder_no_ending();
            }

            SKIP: {
                skip "$name - $section - tests skipped due to $dry_run ($line)", 1 if $dry_run;
                my $ln = fmt_str($line);
                my $p = fmt_str($pat);
                my $last = min($i + 10, scalar(@$lines) - 1);
                my @more = @{$lines}[$i + 1 .. $last - 1];
                fail("$name - pattern \"$p\" should not match any line in $file "
                     . "but matches line \"$ln\" (req $repeated_req_idx)\n"
                     . join '', @more);
            }
        }
    }

    for my $pat (@$pats) {
        next unless defined $pat;
        next if $found{$pat};
        SKIP: {
            skip "$name - $section - tests skipped due to $dry_run", 1 if $dry_run;
            my $p = fmt_str($pat);
            pass("$name - pattern \"$p\" does not match a line in $file (req $repeated_req_idx)");
        }
    }
}

sub check_access_log ($$$) {
    my ($block, $dry_run, $repeated_req_idx) = @_;
    my $name = $block->name;

    my $has_pos = defined $block->access_log;
    my $has_neg = defined $block->no_access_log;
    return unless $has_pos || $has_neg;

    my $pos_pats = $has_pos ? pattern_list($block->access_log) : [];
    my $neg_pats = $has_neg ? pattern_list($block->no_access_log) : [];

    my $lines = $dry_run ? []
              : collect_log_lines(\&Test::Nginx::Util::read_access_log_lines,
                                  $pos_pats, $has_neg);

    if ($has_pos) {
        check_log_patterns($name, $lines, $pos_pats, $dry_run, $repeated_req_idx,
                           ['access_log', 'access.log']);
    }
    if ($has_neg) {
        check_no_log_patterns($name, $lines, $neg_pats, $dry_run, $repeated_req_idx,
                              ['no_access_log', 'access.log']);
    }
}

sub check_error_log ($$$$$) {
    my ($block, $res, $dry_run, $repeated_req_idx, $need_array) = @_;
    my $name = $block->name;

    my %warn_for = (alert => 1, crit => 1, emerg => 1);

    my $grep_pat;
    my $grep_pats = $block->grep_error_log;
    if (defined $grep_pats) {
        $grep_pat = (ref $grep_pats && ref $grep_pats eq 'ARRAY')
                    ? $grep_pats->[$repeated_req_idx] : $grep_pats;
    } elsif (defined $block->grep_error_log_out) {
        bail_out("$name - No --- grep_error_log defined but --- grep_error_log_out is defined");
    }

    my $pos_pats = [];
    my $neg_pats = [];

    if (defined $block->error_log) {
        my $pats = $block->error_log;
        for my $lvl (keys %warn_for) {
            delete $warn_for{$lvl} if value_contains($pats, "[$lvl");
        }
        $pos_pats = pattern_list($pats);
    }

    if (defined $block->no_error_log) {
        my $pats = $block->no_error_log;
        for my $lvl (keys %warn_for) {
            delete $warn_for{$lvl} if value_contains($pats, "[$lvl");
        }
        $neg_pats = pattern_list($pats);
    }

    my $settle = defined $block->no_error_log || defined $grep_pat;
    my $lines = collect_log_lines(\&Test::Nginx::Util::read_error_log_lines,
                                  $dry_run ? [] : $pos_pats, $settle);

    if (defined $grep_pat) {
        my $expected = $block->grep_error_log_out;
        if (!defined $expected) {
            bail_out("$name - No --- grep_error_log_out defined but --- grep_error_log is defined");
        }
        if (ref $expected && ref $expected eq 'ARRAY') {
            $expected = $expected->[$repeated_req_idx];
        }

        SKIP: {
            skip "$name - error_log - tests skipped due to $dry_run", 1 if $dry_run;
            my $matched_lines = '';
            for my $line (@$lines) {
                if (ref $grep_pat && $line =~ /$grep_pat/ || $line =~ /\Q$grep_pat\E/) {
                    my $matched = $&;
                    $matched_lines .= "$matched\n" if $matched !~ /\n/;
                }
            }
            if (ref $expected eq 'Regexp') {
                like($matched_lines, $expected, "$name - grep_error_log_out (req $repeated_req_idx)");
            } else {
                Test::More::is($matched_lines, $expected,
                               "$name - grep_error_log_out (req $repeated_req_idx)");
            }
        }
    }

    if (defined $block->error_log) {
        check_log_patterns($name, $lines, $pos_pats, $dry_run, $repeated_req_idx,
                           ['error_log', 'error.log']);
    }

    if (defined $block->no_error_log) {
        check_no_log_patterns($name, $lines, $neg_pats, $dry_run, $repeated_req_idx,
                              ['no_error_log', 'error.log']);
    }

    if (!$dry_run) {
        for my $line (@$lines) {
            if ($line =~ /\[(alert|crit|emerg)\]/ && $warn_for{$1}) {
                warn "WARNING: $name - ", fmt_str($line), "\n";
            }
        }
    }

    for my $line (@$lines) {
        if ($line =~ /\bAssertion .*?failed\b/) {
            builder_no_ending();
            my $l = $line;
            chomp $l;
            fail("$name - $l\n");
        }
    }
}

# ---------------------------------------------------------------------------
# one round of requests for a block
# ---------------------------------------------------------------------------

sub run_test_helper ($$$) {
    my ($block, $dry_run, $repeated_req_idx) = @_;
    my $name = $block->name;

    my $r_req_list = get_req_from_block($block);
    if (!@$r_req_list) {
        bail_out("$name - request empty");
    }

    my $timeout = parse_time($block->timeout);
    $timeout = timeout() unless defined $timeout;

    my $res;
    my $req_idx = 0;
    my ($n, $need_array);

    for my $one_req (@$r_req_list) {
        my ($raw_resp, $head_req);

        if ($dry_run) {
            $raw_resp = "200 OK HTTP/1.0\r\nContent-Length: 0\r\n\r\n";
        } else {
            ($raw_resp, $head_req) = send_request($one_req,
                                                  $block->raw_request_middle_delay,
                                                  $timeout, $block);
        }

        if ($block->pipelined_requests) {
            $n = @{ $block->pipelined_requests };
            $need_array = 1;
        } else {
            $need_array = $#$r_req_list > 0;
        }

        while (1) {
            $raw_resp = '' unless defined $raw_resp;
            my ($raw_headers, $left);

            if (!defined $block->ignore_response) {
                if (defined $block->http09) {
                    $res = Test::Nginx::Socket::Response->new(200, 'OK', [], $raw_resp);
                    $raw_headers = '';
                } else {
                    ($res, $raw_headers, $left) = parse_response($name, $raw_resp, $head_req);
                }
            }

            if (!$n) {
                if (defined $left && $left ne '') {
                    $left =~ s/([\0-\037\200-\377])/sprintf('\x{%02x}', ord $1)/eg;
                    warn "WARNING: $name - unexpected extra bytes after last chunk in ",
                         "response: \"$left\"\n";
                }
            } else {
                $raw_resp = $left;
                $n--;
            }

            if (!defined $block->ignore_response) {
                check_error_code($block, $res, $dry_run, $req_idx, $need_array);
                check_raw_response_headers($block, $raw_headers, $dry_run, $req_idx, $need_array);
                check_response_headers($block, $res, $raw_headers, $dry_run, $req_idx, $need_array);
                transform_response_body($block, $res, $req_idx);
                check_response_body($block, $res, $dry_run, $req_idx, $repeated_req_idx, $need_array);
            }

            if ($n || $req_idx < @$r_req_list - 1) {
                sleep($block->wait) if $block->wait;
                check_error_log($block, $res, $dry_run, $repeated_req_idx, $need_array);
                if (!defined $block->ignore_response) {
                    check_access_log($block, $dry_run, $repeated_req_idx);
                }
            }

            $req_idx++;
            last unless $n;
        }
    }

    sleep($block->wait) if $block->wait;

    check_error_log($block, $res, $dry_run, $repeated_req_idx, $need_array);

    if (!defined $block->ignore_response) {
        check_access_log($block, $dry_run, $repeated_req_idx);
    }
}

# ---------------------------------------------------------------------------
# a tiny HTTP response object (the real module uses HTTP::Response)
# ---------------------------------------------------------------------------

package Test::Nginx::Socket::Response;

sub new {
    my ($class, $code, $msg, $headers, $content) = @_;
    return bless {
        code    => $code,
        message => $msg,
        headers => $headers || [],
        content => $content,
    }, $class;
}

# Same leniency as HTTP::Response->parse: status line, header lines up to the
# first line that is not a header (normally the empty line), rest is content.
sub parse {
    my ($class, $str) = @_;
    $str = '' unless defined $str;

    my $status_line;
    if ($str =~ s/^(.*)\n//) {
        $status_line = $1;
    } else {
        $status_line = $str;
        $str = '';
    }
    $status_line =~ s/\r\z//;

    my ($proto, $code, $msg);
    if ($status_line =~ /^\d{3} /) {
        ($code, $msg) = split ' ', $status_line, 2;
    } else {
        ($proto, $code, $msg) = split ' ', $status_line, 3;
    }

    my @headers;
    while (1) {
        if ($str =~ s/^([^\s:]+)[ \t]*: ?(.*)\n?//) {
            my ($k, $v) = ($1, $2);
            $v =~ s/\r\z//;
            push @headers, [$k, $v];
        } elsif (@headers && $str =~ s/^([ \t].*)\n?//) {
            my $c = $1;
            $c =~ s/\r\z//;
            $headers[-1][1] .= "\n$c";
        } else {
            $str =~ s/^\r?\n//;
            last;
        }
    }

    return $class->new($code, $msg, \@headers, $str);
}

sub code {
    my $self = shift;
    $self->{code} = shift if @_;
    return $self->{code};
}

sub message { $_[0]{message} }

sub content {
    my $self = shift;
    $self->{content} = shift if @_;
    return $self->{content};
}

sub header {
    my ($self, $name) = @_;
    $name =~ tr/_/-/ unless $name =~ /^:/;
    my @vals = map { $_->[1] } grep { lc $_->[0] eq lc $name } @{ $self->{headers} };
    return @vals if wantarray;
    return @vals ? join(', ', @vals) : undef;
}

1;
