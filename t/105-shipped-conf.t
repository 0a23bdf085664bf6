# Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE.
# The SCEP location of conf/ndes-edge.conf, as shipped, in front of a
# stand-in NDES over TLS: NDES's certificate is verified by its internal
# name.  Taken from the file are the http level's buffers and flow zone,
# the upstream block and the location; substituted are only the upstream's
# address and port (a stand-in's) and the path of
# proxy_ssl_trusted_certificate (the CA made here: an issuing CA and its
# root, a PKI of two tiers as AD CS's usually is).  Three stand-ins: a
# certificate for ndes.internal.example.com from that issuing CA, one for
# the external name ndes.example.com from it, and one for the internal
# name from another CA.

use lib 't/lib';
use Test::Nginx::Socket 'no_plan';
use File::Temp ();
use ScepTest;

our $Pki = File::Temp::tempdir(CLEANUP => 1);
my $sh = <<"_SH_";
set -e
cd $Pki
openssl req -x509 -newkey rsa:2048 -nodes -keyout root.key -out root.pem \\
    -days 2 -subj /CN=root-ca
printf 'basicConstraints=critical,CA:TRUE\\nkeyUsage=keyCertSign,cRLSign\\n' \\
    > ca.ext
openssl req -new -newkey rsa:2048 -nodes -keyout issuing.key -out issuing.csr \\
    -subj /CN=issuing-ca
openssl x509 -req -in issuing.csr -CA root.pem -CAkey root.key \\
    -CAcreateserial -days 2 -extfile ca.ext -out issuing.pem
cat issuing.pem root.pem > ca.pem
openssl req -x509 -newkey rsa:2048 -nodes -keyout other.key -out other.pem \\
    -days 2 -subj /CN=other-ca
for leaf in internal:ndes.internal.example.com:issuing \\
            external:ndes.example.com:issuing \\
            untrusted:ndes.internal.example.com:other
do
    IFS=: read file name ca <<_LEAF_
\$leaf
_LEAF_
    openssl req -new -newkey rsa:2048 -nodes -keyout \$file.key \\
        -out \$file.csr -subj /CN=\$name
    printf 'subjectAltName=DNS:%s\\n' \$name > \$file.ext
    openssl x509 -req -in \$file.csr -CA \$ca.pem -CAkey \$ca.key \\
        -CAcreateserial -days 2 -extfile \$file.ext -out \$file.pem
done
_SH_
system('sh', '-c', "($sh) > $Pki/openssl.log 2>&1") == 0
    or die "openssl failed: see $Pki/openssl.log";

our %Port = map { $_ => ScepTest::free_port() } qw(internal external untrusted);

open my $in, '<', "$ScepTest::Top/conf/ndes-edge.conf" or die $!;
my $conf = do { local $/; <$in> };
close $in;

# a line of the file, or the block it opens, with its indentation
sub shipped {
    my ($name) = @_;
    my $re = $name =~ /\{$/ ? qr/^( *)\Q$name\E\n.*?^\1\}\n/ms
                             : qr/^( *)\Q$name\E[^\n]*\n/m;

    $conf =~ $re or die "conf/ndes-edge.conf: no \"$name\"";
    return $&;
}

my $zone = join '', map { shipped($_) }
    qw(large_client_header_buffers client_max_body_size scep_flow_zone);
my $upstream = shipped('upstream ndes {');
our $Location = shipped('location /certsrv/mscep/ {');

$upstream =~ s/\bserver\s+192\.0\.2\.10:443;/server 127.0.0.1:PORT;/ == 1
    or die "conf/ndes-edge.conf: the upstream's server has moved";
$Location =~ s{ /etc/nginx/ssl/ndes-ca\.pem;}{ $Pki/ca.pem;} == 1
    or die "conf/ndes-edge.conf: proxy_ssl_trusted_certificate has moved";

# the edge's http level: the flow zone, the upstream block with the
# stand-in's port, and the three stand-ins, which say what reached them
sub edge {
    my ($standin) = @_;
    my $http = $zone . ($upstream =~ s/PORT/$Port{$standin}/r);

    for my $s (sort keys %Port) {
        $http .= <<"_EOC_";
    server {
        listen 127.0.0.1:$Port{$s} ssl;
        ssl_certificate $Pki/$s.pem;
        ssl_certificate_key $Pki/$s.key;

        location /certsrv/mscep/ {
            default_type text/plain;
            add_header X-Ndes "$s: host=\$host sni=\$ssl_server_name";
            return 200 "POSTPKIOperation\\nSHA-256\\n";
        }
    }
_EOC_
    }

    return $http;
}

default_config($Location);

no_shuffle();
run_tests();
check_records();

__DATA__

=== TEST 1: NDES's certificate is for the internal name, from the trusted issuing CA: through, Host and SNI the internal name
--- http_config eval: main::edge('internal')
--- request
GET /certsrv/mscep/mscep.dll?operation=GetCACaps&message=ca
--- response_body
POSTPKIOperation
SHA-256
--- response_headers
X-Ndes: internal: host=ndes.internal.example.com sni=ndes.internal.example.com
--- record eval
{
    event => { outcome => 'success' },
    scep  => {
        operation => 'GetCACaps',
        upstream  => ScepTest::exact({ addr => qr/^127\.0\.0\.1:\d+$/,
                                       status => 200,
                                       response_time => ScepTest::number }),
        diagnosis => ScepTest::absent,
    },
}
--- no_error_log
[error]



=== TEST 2: NDES's certificate names the external name: 502, tls, ndes_tls_failed
--- http_config eval: main::edge('external')
--- request
GET /certsrv/mscep/mscep.dll?operation=GetCACaps&message=ca
--- error_code: 502
--- record eval
{
    event => { outcome => 'failure' },
    scep  => {
        upstream  => { status => 502, error => 'tls' },
        diagnosis => { code => 'ndes_tls_failed',
                       hint => qr/proxy_ssl_name/ },
    },
}
--- error_log
upstream SSL certificate does not match "ndes.internal.example.com" while SSL handshaking to upstream



=== TEST 3: the internal name, but from a CA not in proxy_ssl_trusted_certificate: 502, tls, ndes_tls_failed
--- http_config eval: main::edge('untrusted')
--- request
GET /certsrv/mscep/mscep.dll?operation=GetCACert&message=ca
--- error_code: 502
--- record eval
{
    event => { outcome => 'failure' },
    scep  => {
        upstream  => { status => 502, error => 'tls' },
        diagnosis => { code => 'ndes_tls_failed' },
    },
}
--- error_log eval
qr/upstream SSL certificate verify error: \(\d+:[^)]+\) while SSL handshaking to upstream/
