# Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE.
# The JSON record stays valid whatever the client sends: quotes, control
# characters, NUL, invalid UTF-8 in the User-Agent and the CA identifier.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use ScepTest;

default_config(<<'_EOC_');
    large_client_header_buffers 4 64k;

    location /certsrv/mscep/ {
        scep on;
        return 200 "ok\n";
    }
_EOC_

no_shuffle();
run_tests();
check_records();

# --- record's comparison (ScepTest::record_diff) fails where it must
{
    my $rec = JSON::PP->new->decode('{"url":{"path":"/a","query_length":3},'
        . '"scep":{"operation":"GetCACert","flag":true,"caps":["A","B"],"n":null}}');
    my $diff = sub { [ScepTest::record_diff($_[0], $rec, '', 0)] };

    is_deeply($diff->({ url => { path => '/a' }, scep => { caps => ['A', 'B'] } }), [],
              "$0 - record_diff: a subset in any order matches");
    is_deeply($diff->({ url => { query_length => '3' } }),
              ['url.query_length: expected "3", got 3'],
              "$0 - record_diff: a string is not a number");
    is_deeply($diff->({ scep => { flag => 1, n => 0, operation => qr/^GetCACaps$/ } }),
              ['scep.flag: expected 1, got true', 'scep.n: expected 0, got null',
               'scep.operation: "GetCACert" does not match (?^:^GetCACaps$)'],
              "$0 - record_diff: true is not 1, null is not 0, a regex must match");
    is_deeply($diff->({ scep => { caps => ['A'], ca_ident => 'x' } }),
              ['scep.ca_ident: missing, expected "x"', 'scep.caps: expected 1 elements, got 2'],
              "$0 - record_diff: a missing key, an array of another length");
    is_deeply($diff->({ url => ScepTest::exact({ path => '/a' }),
                        scep => { operation => ScepTest::absent } }),
              ['scep.operation: expected no such key, got "GetCACert"',
               'url.query_length: not expected (exact), got 3'],
              "$0 - record_diff: exact() and absent");
    is_deeply($diff->({ url => { query_length => ScepTest::integer },
                        scep => { operation => ScepTest::number } }),
              ['scep.operation: expected a number, got "GetCACert"'],
              "$0 - record_diff: integer and number are JSON types");
}

__DATA__

=== TEST 1: quotes, backslash, control characters and bad UTF-8 in User-Agent
--- raw_request eval
"GET /certsrv/mscep/mscep.dll?operation=GetCACaps&message=ca HTTP/1.1\r
Host: localhost\r
User-Agent: ev\"il\\\x01\x1f\xff\xfe\xc3\x28 \xe2\x82\xac\r
Connection: close\r
\r
"
--- response_body
ok
--- record eval
{ user_agent => ScepTest::exact({ original => "ev\"il\\\x{01}\x{1f}\x{fffd}\x{fffd}\x{fffd}( \x{20ac}" }) }
--- access_log eval
qr{"user_agent":\{"original":"ev\\"il\\\\\\u0001\\u001[fF]\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\( \xe2\x82\xac"\}}
--- no_error_log
[error]



=== TEST 2: NUL, quote, newline and bad UTF-8 in the CA identifier
--- request
GET /certsrv/mscep/mscep.dll?operation=GetCACert&message=a%00b%22c%0Ad%FFe%C0%AFf
--- response_body
ok
--- record eval
{ scep => { ca_ident => "a\x{0}b\"c\nd\x{fffd}e\x{fffd}\x{fffd}f" } }
--- access_log eval
qr{"ca_ident":"a\\u0000b\\"c\\nd\xef\xbf\xbde\xef\xbf\xbd\xef\xbf\xbdf"}
--- no_error_log
[error]



=== TEST 3: invalid percent escapes are kept as they came
--- request
GET /certsrv/mscep/mscep.dll?operation=GetCACert&message=%zz%4%
--- record
{"scep": {"ca_ident": "%zz%4%"}}



=== TEST 4: the Intune device user agents, recorded as sent
--- request
GET /certsrv/mscep/mscep.dll?operation=GetCACert&message=ca
--- more_headers
User-Agent: Dalvik/2.1.0 (Linux; U; Android 5.0; P01M Build/LRX21V)
--- record eval
ScepTest::exact({
    '@timestamp' => qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/,
    event      => { duration => ScepTest::integer, outcome => 'success' },
    # nginx's host name, lowercased, without scep_observer_name
    observer   => { hostname => do { require Sys::Hostname;
                                     lc Sys::Hostname::hostname() } },
    source     => { ip => '127.0.0.1', port => ScepTest::integer },
    user_agent => { original => 'Dalvik/2.1.0 (Linux; U; Android 5.0; P01M Build/LRX21V)' },
    http       => { request  => { method => 'GET', bytes => ScepTest::integer },
                    response => { status_code => 200, bytes => ScepTest::integer } },
    url        => { path => '/certsrv/mscep/mscep.dll', query_length => 30 },
    scep       => { operation => 'GetCACert', client => 'android', ca_ident => 'ca' },
})



=== TEST 5: a path with escapes is recorded as sent, before decoding
--- request
GET /certsrv/mscep/mscep%2Edll%22?operation=GetCACert
--- record eval
{ url => ScepTest::exact({ path => '/certsrv/mscep/mscep%2Edll%22', query_length => 19 }) }
