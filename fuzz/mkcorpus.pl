#!/usr/bin/perl
# Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE.
# The seed corpora of the fuzz targets, written the same way every time:
#
#   fuzz/mkcorpus.pl CORPUS_DIR T_DATA_DIR
#
# CORPUS_DIR/pkimessage: the fixtures of T_DATA_DIR (*.der) as they are,
# each again in BER (indefinite lengths, the content cut into a constructed
# OCTET STRING, as iOS sends it) and with long-form lengths, the signed
# attributes and the certificates left in DER as RFC 5652 wants them, plus small
# hand-made messages that reach each branch of the decoder without a
# fixture: CertRep attributes (NDES's error code in one byte, or two
# values of it), a subjectKeyIdentifier signer, detached
# content, duplicated or missing attributes, broken headers.
#
# CORPUS_DIR/response: upstream answers as they are (GetCACert, GetCACaps,
# CertRep fixtures of T_DATA_DIR), the CA/RA answer again in BER, with a
# certificate more than the decoder reads, and GetCACaps variants.
#
# CORPUS_DIR/query: query strings as the clients in NDES-NOTES.md send
# them, the PKIOperation ones carrying the same messages in base64 the way
# sscep, jscep and iOS escape it.

use strict;
use warnings;

use File::Basename qw(basename);
use File::Path qw(make_path);
use MIME::Base64 qw(encode_base64);

my ($out, $data) = @ARGV;
defined $data or die "usage: $0 CORPUS_DIR T_DATA_DIR\n";

my %pki;        # name => bytes
my %query;      # name => text


# DER building blocks

sub len_der {
    my $n = shift;
    return chr($n) if $n < 0x80;
    my $b = '';
    while ($n) { $b = chr($n & 0xff) . $b; $n >>= 8 }
    return chr(0x80 | length $b) . $b;
}

sub tlv { my ($tag, @content) = @_; my $c = join '', @content;
          return chr($tag) . len_der(length $c) . $c }

sub seq     { tlv(0x30, @_) }
sub set     { tlv(0x31, @_) }
sub ctx0    { tlv(0xa0, @_) }
sub int_    { tlv(0x02, chr(shift)) }
sub octets  { tlv(0x04, shift) }
sub pstr    { tlv(0x13, shift) }
sub oid     { tlv(0x06, pack('H*', shift)) }

my %OID = (
    data          => '2a864886f70d010701',
    signed_data   => '2a864886f70d010702',
    enveloped     => '2a864886f70d010703',
    sha256        => '608648016503040201',
    sha512        => '608648016503040203',
    unknown_alg   => '2a0304',
    rsa           => '2a864886f70d010101',
    content_type  => '2a864886f70d010903',
    msg_digest    => '2a864886f70d010904',
    cn            => '550403',
    ski           => '551d0e',
    ndes_error    => '2b0601040182371521',
    map { ("scep$_" => "6086480186f8450109$_") } qw(02 03 04 05 06 07),
);

sub attr { my ($oid, @values) = @_; seq(oid($OID{$oid}), set(@values)) }

my $NONCE  = pack 'H*', '00112233445566778899aabbccddeeff';
my $RNONCE = pack 'H*', 'ffeeddccbbaa99887766554433221100';
my $NAME   = seq(set(seq(oid($OID{cn}), tlv(0x0c, 'SCEP fuzz signer'))));

# A pkiMessage with no real signature: the decoder reads structure only,
# and so does OpenSSL's d2i in the differential test.
sub pkimessage {
    my %a = @_;

    my @attrs = $a{attrs} ? @{ $a{attrs} } : (
        attr('content_type', oid($OID{data})),
        attr('msg_digest', octets("\x5a" x 32)),
        attr('scep02', pstr($a{type} // '19')),
        attr('scep07', $a{tid} // pstr('4C1D0C0A5B6E7F80910A1B2C3D4E5F6071829304')),
        attr('scep05', octets($a{nonce} // $NONCE)),
        @{ $a{more} // [] },
    );

    my $sid = $a{sid} // seq($NAME, int_(1));
    my $si = seq(int_($a{sid} ? 3 : 1), $sid,
                 seq(oid($OID{$a{digest} // 'sha256'}), tlv(0x05, '')),
                 tlv(0xa0, @attrs),
                 seq(oid($OID{rsa}), tlv(0x05, '')),
                 octets("\xa5" x 64));

    my $econtent = exists $a{content} && !defined $a{content} ? ''
        : ctx0($a{octets} // octets($a{content} // seq(int_(0), 'enveloped')));

    my $sd = seq(int_(1), set(seq(oid($OID{sha256}), tlv(0x05, ''))),
                 seq(oid($OID{data}), $econtent),
                 $a{certs} // '',
                 $a{crls} // '',
                 set(($si) x ($a{signers} // 1)));

    return seq(oid($OID{signed_data}), ctx0($sd));
}


# re-encodings of a DER message; undef when it is not DER all through

sub parse_tlvs {
    my ($bytes) = @_;
    my @nodes;
    my $pos = 0;

    while ($pos < length $bytes) {
        my $tag = ord substr($bytes, $pos, 1);
        return undef if ($tag & 0x1f) == 0x1f || $pos + 2 > length $bytes;
        my $len = ord substr($bytes, $pos + 1, 1);
        my $hdr = 2;

        if ($len == 0x80) {
            return undef;
        } elsif ($len & 0x80) {
            my $n = $len & 0x7f;
            return undef if $n > 4 || $pos + 2 + $n > length $bytes;
            $len = 0;
            $len = $len * 256 + ord substr($bytes, $pos + 2 + $_, 1) for 0 .. $n - 1;
            $hdr += $n;
        }

        return undef if $pos + $hdr + $len > length $bytes;
        my $content = substr($bytes, $pos + $hdr, $len);
        my $node = { tag => $tag, content => $content,
                     der => substr($bytes, $pos, $hdr + $len) };

        if ($tag & 0x20) {
            $node->{children} = parse_tlvs($content) // return undef;
        }

        push @nodes, $node;
        $pos += $hdr + $len;
    }

    return \@nodes;
}

# An [0] after a SEQUENCE is SignedData's certificates or SignerInfo's
# signedAttrs: DER, whatever the rest (the signature covers the DER of the
# attributes; a certificate is signed DER).
sub keep_der {
    my ($n, $prev) = @_;
    return $n->{tag} == 0xa0 && $prev == 0x30;
}

# indefinite lengths on every constructed TLV, and the eContent (the
# OCTET STRING in the [0] after the OID id-data) cut into 512-byte pieces
sub to_ber {
    my ($nodes) = @_;
    my $out = '';
    my $prev = 0;
    my $after_data = 0;

    for my $n (@$nodes) {
        if (keep_der($n, $prev)) {
            $out .= $n->{der};
        } elsif ($n->{children}) {
            my $inner = $after_data && $n->{tag} == 0xa0
                ? join('', map { split_octets($_) } @{ $n->{children} })
                : to_ber($n->{children});
            $out .= chr($n->{tag}) . "\x80" . $inner . "\0\0";
        } else {
            $out .= chr($n->{tag}) . len_der(length $n->{content}) . $n->{content};
        }

        $after_data = $n->{tag} == 0x06
                      && unpack('H*', $n->{content}) eq $OID{data};
        $prev = $n->{tag};
    }

    return $out;
}

sub split_octets {
    my ($n) = @_;
    return tlv($n->{tag}, $n->{content}) if $n->{tag} != 0x04;
    my @pieces = unpack '(a512)*', $n->{content};
    return "\x24\x80" . join('', map { octets($_) } @pieces) . "\0\0";
}

# every length in four bytes: legal BER, not DER
sub long_lengths {
    my ($nodes) = @_;
    my $out = '';
    my $prev = 0;

    for my $n (@$nodes) {
        if (keep_der($n, $prev)) {
            $out .= $n->{der};
        } else {
            my $c = $n->{children} ? long_lengths($n->{children}) : $n->{content};
            $out .= chr($n->{tag}) . "\x84" . pack('N', length $c) . $c;
        }

        $prev = $n->{tag};
    }

    return $out;
}


# the fixtures

for my $file (sort glob "$data/*.der") {
    my $name = basename($file, '.der');
    open my $in, '<:raw', $file or die "$file: $!\n";
    my $bytes = do { local $/; <$in> };
    close $in;

    $pki{$name} = $bytes;
    $pki{"$name.cut-half"} = substr($bytes, 0, length($bytes) / 2);

    # re-encodings of one message of each kind are enough as seeds
    next unless $name =~ /^(?:scepclient-pkcsreq|scepserver-certrep-success|
                               pkcsreq-ski|pkcsreq-ecdsa|certrep-pending)$/x;

    my $tree = parse_tlvs($bytes) or next;
    $pki{"$name.ber"} = to_ber($tree);
    $pki{"$name.longlen"} = long_lengths($tree);
}


# hand-made messages

my $cert_tbs = seq(ctx0(int_(2)), int_(1), seq(oid($OID{rsa})), $NAME,
                   seq(tlv(0x17, '260101000000Z'), tlv(0x17, '360101000000Z')),
                   $NAME, seq(seq(oid($OID{rsa})), tlv(0x03, "\0\x30\0")),
                   tlv(0xa3, seq(seq(oid($OID{ski}), octets(octets('fuzzski'))))));
my $cert = seq($cert_tbs, seq(oid($OID{rsa})), tlv(0x03, "\0" . "\x11" x 16));

%pki = (%pki,
    'hand-pkcsreq'            => pkimessage(),
    'hand-certpoll'           => pkimessage(type => '20'),
    'hand-renewalreq-sha512'  => pkimessage(type => '17', digest => 'sha512'),
    'hand-certrep-failure'    => pkimessage(type => '3', more => [
        attr('scep03', pstr('2')), attr('scep04', pstr('2')),
        attr('scep06', octets($RNONCE)) ]),
    'hand-certrep-pending'    => pkimessage(type => '3', more => [
        attr('scep03', pstr('3')), attr('scep06', octets($RNONCE)) ]),
    'hand-ndes-error-short'   => pkimessage(type => '3', more => [
        attr('scep03', pstr('2')), attr('ndes_error', tlv(0x02, "\xff")) ]),
    'hand-ndes-error-values'  => pkimessage(type => '3', more => [
        attr('scep03', pstr('2')),
        attr('ndes_error', tlv(0x02, "\x80\x07\x00\x57"),
                           tlv(0x02, "\x80\x09\x48\x00")) ]),
    'hand-tid-utf8'           => pkimessage(tid => tlv(0x0c, 'dGlkIGluIGJhc2U2NA==')),
    'hand-unknown-digest'     => pkimessage(digest => 'unknown_alg'),
    'hand-detached'           => pkimessage(content => undef),
    'hand-two-signers'        => pkimessage(signers => 2),
    'hand-crls'               => pkimessage(crls => tlv(0xa1, '')),
    'hand-signer-cert'        => pkimessage(certs => tlv(0xa0, $cert)),
    'hand-signer-ski'         => pkimessage(certs => tlv(0xa0, $cert),
                                            sid => tlv(0x80, 'fuzzski')),
    'hand-empty-attr-values'  => pkimessage(more => [ seq(oid($OID{scep06}), set()) ]),
    'hand-dup-type'           => pkimessage(more => [ attr('scep02', pstr('19')) ]),
    'hand-no-type'            => pkimessage(attrs => [
        attr('scep07', pstr('1')), attr('scep05', octets($NONCE)) ]),
    'hand-no-nonce'           => pkimessage(attrs => [
        attr('scep02', pstr('19')), attr('scep07', pstr('1')) ]),
    'hand-short-nonce'        => pkimessage(nonce => substr($NONCE, 0, 15)),
    'hand-type-99'            => pkimessage(type => '99'),
    'hand-no-signer'          => seq(oid($OID{signed_data}), ctx0(seq(int_(1),
                                     set(), seq(oid($OID{data})), set()))),
    'hand-enveloped'          => seq(oid($OID{enveloped}), ctx0(seq(int_(0)))),
    'edge-empty'              => '',
    'edge-seq'                => "\x30",
    'edge-seq-empty'          => "\x30\x00",
    'edge-indefinite-open'    => "\x30\x80",
    'edge-indefinite-closed'  => "\x30\x80\x00\x00",
    'edge-huge-length'        => "\x30\x84\xff\xff\xff\xff",
    'edge-five-byte-length'   => "\x30\x85\x01\x00\x00\x00\x00",
    'edge-multibyte-tag'      => "\x30\x03\x1f\x81\x00",
    'edge-primitive-indef'    => "\x30\x04\x04\x80\x00\x00",
    'edge-deep-indefinite'    => "\x30\x80" x 40 . "\x00\x00" x 40,
    'edge-deep-definite'      => (sub { my $s = ''; $s = seq($s) for 1 .. 40; $s })->(),
);

{
    # content nested as deep as OpenSSL reads it (5), and past the limit
    my $deep = octets('x');
    $deep = "\x24\x80" . $deep . "\0\0" for 1 .. 4;
    $pki{'hand-content-nested'} = pkimessage(octets => $deep);
    $deep = "\x24\x80" . $deep . "\0\0" for 1 .. 36;
    $pki{'edge-deep-content'} = pkimessage(octets => $deep);
}


# query strings

%query = (
    'bare'                 => '',
    'getcacert-ca'         => 'operation=GetCACert&message=ca',
    'getcacert-default'    => 'operation=GetCACert&message=default',
    'getcacert-authority'  => 'operation=GetCACert&message=SCEP%20Authority',
    'getcacaps-ca'         => 'operation=GetCACaps&message=ca',
    'getnextcacert'        => 'operation=GetNextCACert&message=ca',
    'getcacaps-lower'      => 'operation=getcacaps&message=',
    'op-escaped'           => 'operation=%47et%43A%43aps&message=ca',
    'op-form-space'        => 'operation=Get+CACert&message=ca',
    'op-twice'             => 'operation=GetCACaps&operation=GetCACert&message=ca&message=x',
    'op-unknown'           => 'operation=Enroll&message=ca',
    'op-empty'             => 'operation=&message=',
    'no-message'           => 'operation=PKIOperation',
    'sscep-double-q'       => '?operation=PKIOperation&message=MIIB',
    'sscep-triple-q'       => '??operation=GetCACert&message=ca',
    'extra-fields'         => 'a=1&&=&operation=GetCACert&b&message=ca&c=%',
    'bad-escapes'          => 'operation=GetCACert&message=%zz%4%%0',
    'utf8-mixed'           => "operation=GetCACert&message=\xc3\xa9\xff\xc0\xaf\xed\xa0\x80\xf0\x9f\x98\x80\xf4\x90\x80\x80\xe2\x82",
    'utf8-escaped'         => 'operation=GetCACert&message=%C3%A9%FF%C0%AF%ED%A0%80',
);

# the URI of a GET stays under 64 KB: no base64 of bad-deep.der (40 KB)
my %b64_msgs = map { $_ => $pki{$_} }
               grep { !/\.(?:ber|longlen|cut-half)$/ && !/^edge-/
                      && length $pki{$_} <= 16384 } keys %pki;

for my $name (sort keys %b64_msgs) {
    my $b64 = encode_base64($b64_msgs{$name});           # 76-column lines

    # sscep: line breaks kept as %0A, '+', '/' and '=' escaped
    (my $sscep = $b64) =~ s{([+/=\n])}{sprintf '%%%02X', ord $1}ge;
    # jscep and micromdm: one line, '+' and '/' escaped
    (my $one = $b64) =~ s/\n//g;
    (my $jscep = $one) =~ s{([+/=])}{sprintf '%%%02X', ord $1}ge;
    # raw base64, '+' as sent and as a form decoder leaves it (space)
    (my $spaces = $one) =~ tr/+/ /;

    $query{"pkiop-sscep-$name"}  = "operation=PKIOperation&message=$sscep";
    $query{"pkiop-jscep-$name"}  = "operation=PKIOperation&message=$jscep";
    $query{"pkiop-raw-$name"}    = "message=$one&operation=PKIOperation";
    $query{"pkiop-spaces-$name"} = "operation=PKIOperation&message=$spaces";
}

$query{'pkiop-cut'} = substr($query{'pkiop-jscep-hand-pkcsreq'}, 0, 100);
$query{'pkiop-bad-base64'} = 'operation=PKIOperation&message=MIIB*AAA===A';
$query{'pkiop-one-char'} = 'operation=PKIOperation&message=M';


sub write_dir {
    my ($dir, $files) = @_;

    make_path($dir);
    unlink glob "$dir/*";

    for my $name (sort keys %$files) {
        open my $o, '>:raw', "$dir/$name" or die "$dir/$name: $!\n";
        print $o $files->{$name};
        close $o or die "$dir/$name: $!\n";
    }

    printf "%s: %d seeds\n", $dir, scalar keys %$files;
}

# upstream answers

my %resp;

for my $file (sort(glob("$data/getcacert-*.der"), glob("$data/scepserver-getcacert.der"),
                   glob("$data/certrep-*.der"), glob("$data/scepserver-certrep-*.der"),
                   glob("$data/*getcacaps*.txt"))) {
    open my $in, '<:raw', $file or die "$file: $!\n";
    $resp{basename($file)} = do { local $/; <$in> };
    close $in;
}

if (my $ra = $resp{'getcacert-ca-ra.der'}) {
    my $tree = parse_tlvs($ra);
    $resp{'getcacert-ca-ra.ber'} = to_ber($tree) if $tree;

    # ContentInfo { OID, [0] { SignedData { v, algs, encap, [0] certs, sis } } }
    my $certs = $tree && $tree->[0]{children}[1]{children}[0]{children}[3];
    if ($certs && $certs->{tag} == 0xa0) {
        my @c = map { $_->{der} } @{ $certs->{children} };
        my $p7 = sub {
            seq(oid($OID{signed_data}), ctx0(seq(int_(1), set(),
                seq(oid($OID{data})), tlv(0xa0, @_), set())));
        };
        $resp{'hand-nine-certs'} = $p7->((@c) x 3);
        $resp{'hand-no-certs'} = $p7->();
        $resp{'hand-one-ra'} = $p7->($c[2]);
        $resp{'hand-cert-trailing'} = $c[0] . "\0";
    }
}

%resp = (%resp,
    'caps-lf'       => "POSTPKIOperation\nSHA-256\nAES\n",
    'caps-messy'    => "\xef\xbb\xbf  Renewal \r\n\r\n\tSHA-1\t\n" . ('X' x 65) . "\nbad\x01cap\nGetNextCACert",
    'caps-many'     => join("\n", map { "Cap$_" } 1 .. 40),
);

write_dir("$out/pkimessage", \%pki);
write_dir("$out/response", \%resp);
write_dir("$out/query", \%query);
