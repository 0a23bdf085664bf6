# Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE.
# The decoders of upstream answers: scep_certs_decode() (GetCACert) and
# scep_caps_decode() (GetCACaps), through build/scep-resp-dump
# (t/tools/scep_resp_dump.c; SCEP_RESP_DUMP names another binary).
#
# Every getcacert fixture of t/data/messages.json decodes to what the
# manifest says and to what "openssl x509 -nameopt RFC2253" prints of the
# same certificates; every proper prefix of each is rejected; the
# getcacaps fixtures give the manifest's capabilities.  With build/scep-gen
# (SCEP_GEN), an answer whose RA certificates expire in 10 days is made
# and read.

use strict;
use warnings;

use Digest::SHA qw(sha256_hex);
use File::Temp qw(tempdir);
use FindBin;
use JSON::PP;
use Test::More;

chdir "$FindBin::Bin/.." or die "cd: $!";

my $dump = $ENV{SCEP_RESP_DUMP} // 'build/scep-resp-dump';
-x $dump or plan skip_all => "$dump is not built (make $dump)";

my $manifest = do {
    open my $in, '<', 't/data/messages.json' or plan skip_all => 'no t/data/messages.json';
    local $/;
    decode_json(<$in>);
};

my $have_openssl = system('openssl version >/dev/null 2>&1') == 0;
my $tmp = tempdir(CLEANUP => 1);

my @certs = grep { ($manifest->{$_}{kind} // '') eq 'getcacert' && -f "t/data/$_" }
            sort keys %$manifest;
my @caps = grep { ($manifest->{$_}{kind} // '') eq 'getcacaps' && -f "t/data/$_" }
           sort keys %$manifest;

ok(scalar(grep { $_ eq 'getcacert-ca-ra.der' } @certs), 'the NDES CA/RA fixture is in the manifest');

my @fields = qw(subject issuer serial not_before not_after role);

for my $name (@certs) {
    my $file = "t/data/$name";
    my $m = $manifest->{$name};
    my $r = run('certs', $file);

    is($r->{rc}, 0, "$name: decodes") or diag($r->{detail});
    is($r->{total}, $m->{certificates}, "$name: $m->{certificates} certificates");

    is_deeply([ map { my $c = $_; +{ map { $_ => $c->{$_} } @fields } } @{ $r->{certificates} } ],
              $m->{certificate_list}, "$name: the manifest's fields and roles");

    if ($have_openssl) {
        my @want = openssl_certs($file, $m->{content_type});
        is_deeply([ map { my $c = $_; +{ map { $_ => $c->{$_} } qw(subject issuer serial not_before not_after id) } }
                    @{ $r->{certificates} } ],
                  \@want, "$name: what openssl x509 -nameopt RFC2253 prints");
    }

    my $p = run('prefixes', $file);
    is($p->{accepted}, 0, "$name: none of its $p->{prefixes} proper prefixes decodes");
}

# the roles NDES-NOTES.md describes
{
    my $r = run('certs', 't/data/getcacert-ca-ra.der');
    is_deeply([ map { $_->{role} } @{ $r->{certificates} } ], [qw(ca ra ra)],
              'getcacert-ca-ra.der: CA, then the two NDES RA certificates');

    my $e = run('certs', 't/data/getcacert-ra-expired.der');
    ok(!grep({ $_->{role} eq 'ra' && $_->{not_after} ge '2025' } @{ $e->{certificates} }),
       'getcacert-ra-expired.der: both RA certificates ended before 2025');
}

# hand-made answers, from the fixture's certificates
{
    my @der = split_certs(slurp('t/data/getcacert-ca-ra.der'));
    is(scalar @der, 3, 'three certificates cut out of getcacert-ca-ra.der');

    my $r = run_bytes('certs', p7(@der, @der, @der));
    is_deeply([ @$r{qw(rc n total)} ], [0, 8, 9], 'nine certificates: eight read, nine counted');

    $r = run_bytes('certs', p7());
    is($r->{rc}, -1, 'a PKCS#7 without certificates is refused');

    # the CEP Encryption certificate alone: its template name makes it RA
    $r = run_bytes('certs', p7($der[2]));
    is($r->{certificates}[0]{role}, 'ra', 'CEPEncryption alone: ra by its template name');

    # the enrolment agent alone, as a bare certificate
    $r = run_bytes('certs', $der[1]);
    is($r->{certificates}[0]{role}, 'ra', 'EnrollmentAgentOffline alone: ra');

    $r = run_bytes('certs', $der[0] . "\0");
    is($r->{rc}, -1, 'a certificate with a byte after it is refused');

    # BER: indefinite lengths on every layer around the certificates
    my $ber = "\x30\x80" . "\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02"
            . "\xa0\x80\x30\x80\x02\x01\x01\x31\x00\x30\x80\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x01\x00\x00"
            . "\xa0\x80" . join('', @der) . "\x00\x00\x31\x00\x00\x00\x00\x00\x00\x00";
    $r = run_bytes('certs', $ber);
    is_deeply([ map { $_->{serial} } @{ $r->{certificates} } ], [qw(01 3001 3002)],
              'BER with indefinite lengths decodes');

    open my $o, '>:raw', "$tmp/ber.der" or die;
    print $o $ber;
    close $o;
    is(run('prefixes', "$tmp/ber.der")->{accepted}, 0, 'BER: no proper prefix decodes');
}

for my $name (@caps) {
    is_deeply(run('caps', "t/data/$name")->{caps}, $manifest->{$name}{caps},
              "$name: the manifest's capabilities");
}

is_deeply(run('caps', 't/data/getcacaps-ndes.txt')->{caps},
          [qw(POSTPKIOperation Renewal SHA-512 SHA-256 SHA-1 DES3)],
          'getcacaps-ndes.txt: what NDES answers');

is_deeply(run_bytes('caps', "\xef\xbb\xbf Renewal \r\n\r\n\tSHA-1\t\n" . ('X' x 65) . "\nbad\x01cap\nAES")->{caps},
          [qw(Renewal SHA-1 AES)], 'caps: trimmed, blank, too long and binary lines skipped');

is(scalar @{ run_bytes('caps', join("\n", map { "Cap$_" } 1 .. 40))->{caps} }, 32,
   'caps: at most 32');

SKIP: {
    my $gen = $ENV{SCEP_GEN} // 'build/scep-gen';
    skip "$gen is not built", 3 unless -x $gen;

    my $out = `$gen --expiring-in 10 $tmp/expiring.der`;
    is($?, 0, 'scep-gen --expiring-in 10');

    my $r = run('certs', "$tmp/expiring.der");
    my @ra = grep { $_->{role} eq 'ra' } @{ $r->{certificates} };
    is(scalar @ra, 2, 'expiring: two RA certificates');

    my @t = gmtime(time + 10 * 86400);
    my $day = sprintf '%04d-%02d-%02d', $t[5] + 1900, $t[4] + 1, $t[3];
    my @t2 = gmtime(time + 10 * 86400 - 120);
    my $day2 = sprintf '%04d-%02d-%02d', $t2[5] + 1900, $t2[4] + 1, $t2[3];
    ok(!grep({ substr($_->{not_after}, 0, 10) ne $day && substr($_->{not_after}, 0, 10) ne $day2 } @ra),
       "expiring: RA notAfter on $day");
}

done_testing();


sub run {
    my ($mode, $file) = @_;
    my $out = `$dump $mode $file`;
    BAIL_OUT("$dump $mode $file failed") if $? >> 8 > 1 || $? & 127;
    return decode_json($out);
}

sub run_bytes {
    my ($mode, $bytes) = @_;
    open my $o, '>:raw', "$tmp/in" or die "$tmp/in: $!";
    print $o $bytes;
    close $o;
    return run($mode, "$tmp/in");
}

sub slurp {
    open my $in, '<:raw', $_[0] or die "$_[0]: $!";
    local $/;
    return <$in>;
}

# one DER TLV: (tag, header length, content length)
sub tlv_at {
    my ($b, $pos) = @_;
    my $len = ord substr($b, $pos + 1, 1);
    my $hl = 2;
    if ($len & 0x80) {
        my $n = $len & 0x7f;
        $len = 0;
        $len = $len * 256 + ord substr($b, $pos + 2 + $_, 1) for 0 .. $n - 1;
        $hl += $n;
    }
    return (ord substr($b, $pos, 1), $hl, $len);
}

# the certificates of a DER degenerate PKCS#7
sub split_certs {
    my ($b) = @_;
    my $pos = 0;
    my ($tag, $hl, $len);
    ($tag, $hl) = tlv_at($b, $pos); $pos += $hl;              # ContentInfo
    ($tag, $hl, $len) = tlv_at($b, $pos); $pos += $hl + $len; # OID
    ($tag, $hl) = tlv_at($b, $pos); $pos += $hl;              # [0]
    ($tag, $hl) = tlv_at($b, $pos); $pos += $hl;              # SignedData
    for (1 .. 3) { ($tag, $hl, $len) = tlv_at($b, $pos); $pos += $hl + $len }
    ($tag, $hl, $len) = tlv_at($b, $pos);
    return () unless $tag == 0xa0;
    my $end = $pos + $hl + $len;
    $pos += $hl;
    my @c;
    while ($pos < $end) {
        ($tag, $hl, $len) = tlv_at($b, $pos);
        push @c, substr($b, $pos, $hl + $len);
        $pos += $hl + $len;
    }
    return @c;
}

sub len_der {
    my $n = shift;
    return chr($n) if $n < 0x80;
    my $s = '';
    while ($n) { $s = chr($n & 0xff) . $s; $n >>= 8 }
    return chr(0x80 | length $s) . $s;
}

sub tlv { my ($t, $c) = @_; chr($t) . len_der(length $c) . $c }

sub p7 {
    my $sd = tlv(0x30, "\x02\x01\x01\x31\x00" . tlv(0x30, "\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x01")
                       . tlv(0xa0, join '', @_) . "\x31\x00");
    return tlv(0x30, "\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02" . tlv(0xa0, $sd));
}

my %mon;
BEGIN { my $i = 1; %mon = map { $_ => sprintf('%02d', $i++) } qw(Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec) }

# "Jan  1 00:00:00 2026 GMT" -> "2026-01-01T00:00:00Z"
sub iso {
    my ($m, $d, $t, $y) = $_[0] =~ /^(\w{3})\s+(\d+)\s+(\S+)\s+(\d+)\s+GMT$/ or return $_[0];
    return sprintf '%s-%s-%02dT%sZ', $y, $mon{$m}, $d, $t;
}

# each certificate as openssl prints it
sub openssl_certs {
    my ($file, $type) = @_;
    my @der;

    if (($type // '') eq 'application/x-x509-ca-cert') {
        @der = (slurp($file));
    } else {
        my $pem = `openssl pkcs7 -inform DER -in $file -print_certs 2>/dev/null`;
        my $i = 0;
        for my $one ($pem =~ /(-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----\n)/sg) {
            open my $o, '>', "$tmp/c$i.pem" or die;
            print $o $one;
            close $o;
            push @der, scalar `openssl x509 -in $tmp/c$i.pem -outform DER`;
            $i++;
        }
    }

    my @out;
    my $i = 0;
    for my $der (@der) {
        open my $o, '>:raw', "$tmp/d$i.der" or die;
        print $o $der;
        close $o;
        my %f = map { /^(\w+)=(.*)$/ ? ($1 => $2) : () }
                split /\n/, `openssl x509 -inform DER -in $tmp/d$i.der -noout -subject -issuer -serial -dates -nameopt RFC2253`;
        push @out, { subject => $f{subject}, issuer => $f{issuer}, serial => lc $f{serial},
                     not_before => iso($f{notBefore}), not_after => iso($f{notAfter}),
                     id => sha256_hex($der) };
        $i++;
    }

    return @out;
}
