# Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE.
# Attacks on issue 18's changes that found something: each block failed
# before its fix.  scep_observer_name is said to take printable UTF-8
# only, but ngx_utf8_decode() is lenient: it takes a byte of 0xc0 or more
# as a continuation, UTF-16 surrogates, and (before nginx 1.23) a lead
# byte of 0xf8; the record then wrote U+FFFD where the operator's name
# was.  C1 controls (U+0080 .. U+009F: NEL ends a line for some readers)
# are control characters too.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use ScepTest;

default_config('');

no_shuffle();
run_tests();

__DATA__

=== TEST 1: scep_observer_name: a UTF-16 surrogate is not UTF-8
--- http_config eval
"    scep_observer_name edge-\xed\xa0\x80;\n"
--- config
--- must_die
--- error_log
scep_observer_name has a control character or is not UTF-8



=== TEST 2: scep_observer_name: a lead byte followed by lead bytes
--- http_config eval
"    scep_observer_name edge-\xe1\xc1\xc1;\n"
--- config
--- must_die
--- error_log
scep_observer_name has a control character or is not UTF-8



=== TEST 3: scep_observer_name: a five-byte lead byte
--- http_config eval
"    scep_observer_name edge-\xf8\x90\x80\x80;\n"
--- config
--- must_die
--- error_log
scep_observer_name has a control character or is not UTF-8



=== TEST 4: scep_observer_name: a C1 control (NEL) is a control character
--- http_config eval
"    scep_observer_name edge-\xc2\x85b;\n"
--- config
--- must_die
--- error_log
scep_observer_name has a control character or is not UTF-8
