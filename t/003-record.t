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
--- access_log eval
qr{"user_agent":\{"original":"ev\\"il\\\\\\u0001\\u001[fF]\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\( \xe2\x82\xac"\}}
--- no_error_log
[error]



=== TEST 2: NUL, quote, newline and bad UTF-8 in the CA identifier
--- request
GET /certsrv/mscep/mscep.dll?operation=GetCACert&message=a%00b%22c%0Ad%FFe%C0%AFf
--- response_body
ok
--- access_log eval
qr{"ca_ident":"a\\u0000b\\"c\\nd\xef\xbf\xbde\xef\xbf\xbd\xef\xbf\xbdf"}
--- no_error_log
[error]



=== TEST 3: invalid percent escapes are kept as they came
--- request
GET /certsrv/mscep/mscep.dll?operation=GetCACert&message=%zz%4%
--- access_log eval
qr{"ca_ident":"%zz%4%"}



=== TEST 4: the Intune device user agents, recorded as sent
--- request
GET /certsrv/mscep/mscep.dll?operation=GetCACert&message=ca
--- more_headers
User-Agent: Dalvik/2.1.0 (Linux; U; Android 5.0; P01M Build/LRX21V)
--- access_log eval
qr{^\{"\@timestamp":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z","event":\{"duration":\d+,"outcome":"success"\},"source":\{"ip":"127\.0\.0\.1","port":\d+\},"user_agent":\{"original":"Dalvik/2\.1\.0 \(Linux; U; Android 5\.0; P01M Build/LRX21V\)"\},"http":\{"request":\{"method":"GET","bytes":\d+\},"response":\{"status_code":200,"bytes":\d+\}\},"url":\{"path":"/certsrv/mscep/mscep\.dll","query_length":30\},"scep":\{"operation":"GetCACert","ca_ident":"ca"\}\}$}



=== TEST 5: a path with escapes is recorded as sent, before decoding
--- request
GET /certsrv/mscep/mscep%2Edll%22?operation=GetCACert
--- access_log eval
qr{"url":\{"path":"/certsrv/mscep/mscep%2Edll%22","query_length":19\}}
