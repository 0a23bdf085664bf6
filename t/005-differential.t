# Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE.
# The differential check of the pkiMessage decoder: for every valid
# message of t/data (messages.json: no "reject") and every file of
# fuzz/corpus/pkimessage that scep_msg_decode() accepts, the fields it
# returns equal those OpenSSL's CMS API reads from the same bytes.  For the
# malformed fixtures, the decoder's reason is the manifest's.  For every
# fixture decoded, the signer key is refused (scep_msg_signer_key()) when
# the manifest says signer_key_unsupported, and only then, and the
# signature check says what OpenSSL says, or unchecked for a refused key.
#
# build/scep-diff (t/tools/scep_diff.c, built by make) does the reading and
# prints both sides per file; SCEP_DIFF names another binary.

use strict;
use warnings;

use FindBin;
use JSON::PP;
use Test::More;

chdir "$FindBin::Bin/.." or die "cd: $!";

my $diff_bin = $ENV{SCEP_DIFF} // 'build/scep-diff';
-x $diff_bin or plan skip_all => "$diff_bin is not built (make $diff_bin)";

# the groups of fields each test compares; every field of scep-diff is in one
my @groups = (
    [ 'messageType, transactionID' => qw(message_type transaction_id) ],
    [ 'senderNonce, recipientNonce' => qw(sender_nonce recipient_nonce) ],
    [ 'pkiStatus, failInfo' => qw(pki_status fail_info) ],
    [ 'digest algorithm, messageDigest' => qw(digest digest_oid message_digest) ],
    [ 'signer certificate and subject' => qw(signers signer_cert signer_subject) ],
    [ 'content bytes' => qw(content) ],
    [ 'signed attributes as signed' => qw(signed_attrs) ],
    [ 'signature bytes' => qw(signature) ],
    [ 'NDES error code' => qw(ndes_error) ],
);

# reasons given after decoding, by the signature check or the configuration:
# the decoder itself accepts these messages
my %after_decode = map { $_ => 1 }
    qw(signature_invalid signer_key_unsupported message_type_not_allowed);

my $manifest = {};

if (open my $in, '<', 't/data/messages.json') {
    local $/;
    $manifest = decode_json(<$in>);
}

my @fixtures = grep { -f "t/data/$_" && ($manifest->{$_}{kind} // '') eq 'pkimessage' }
               sort keys %$manifest;
my @corpus = sort grep { -f } glob 'fuzz/corpus/pkimessage/*';

@fixtures || @corpus
    or plan skip_all => 'no t/data/messages.json and no fuzz/corpus/pkimessage';

my %out;

for my $line (run_diff(map({ "t/data/$_" } @fixtures), @corpus)) {
    my $r = decode_json($line);
    $out{ $r->{file} } = $r;
}

my $fields = (grep { $_->{scep} } values %out)[0];

if ($fields) {
    is_deeply([sort map { @$_[1 .. $#$_] } @groups],
              [sort keys %{ $fields->{scep} }],
              'scep-diff: every field it compares is checked here');
}

for my $name (@fixtures) {
    my $want = $manifest->{$name}{reject} // '';
    my $r = $out{"t/data/$name"};

    if (!$r) {
        fail("t/data/$name: scep-diff printed nothing");
        next;
    }

    if ($want ne '' && !$after_decode{$want}) {
        is($r->{reject}, $want, "t/data/$name: rejected as $want")
            or diag("decoder: $r->{reject}: " . ($r->{detail} // ''));
        next;
    }

    is($r->{reject}, '', "t/data/$name: accepted"
                         . ($want ne '' ? " (its $want is decided later)" : ''))
        or diag("decoder: $r->{reject}: $r->{detail}");

    next if $r->{reject} ne '';

    compare($r);

    # the signer key judged by scep_msg_signer_key(), and what the check
    # of the signature then says: unchecked, not verified, for a refused
    # key; OpenSSL's verdict for any other
    if ($want eq 'signer_key_unsupported') {
        isnt($r->{signer_key}, '', "t/data/$name: the signer key is refused");
        is($r->{signature}, 'unchecked',
           "t/data/$name: its signature is not checked");
    } else {
        is($r->{signer_key}, '', "t/data/$name: the signer key is verified");
        is($r->{signature}, $manifest->{$name}{signature},
           "t/data/$name: the signature is $manifest->{$name}{signature}");
    }
}

for my $file (@corpus) {
    my $r = $out{$file};

    if (!$r) {
        fail("$file: scep-diff printed nothing");
        next;
    }

    compare($r) if $r->{reject} eq '';
}

# every proper prefix of every valid fixture: rejected, none decodes
for my $name (grep { !exists $manifest->{$_}{reject} } @fixtures) {
    my $out = `$diff_bin --prefixes t/data/$name`;
    my $r = eval { decode_json($out) } // {};
    is($r->{accepted}, 0,
       "t/data/$name: each of its $r->{prefixes} proper prefixes is rejected");
}

done_testing();


sub compare {
    my ($r) = @_;

    ok(!grep({ $_ eq 'parse' } @{ $r->{mismatch} }),
       "$r->{file}: OpenSSL parses what the decoder accepts")
        or return;

    for my $g (@groups) {
        my ($what, @names) = @$g;
        is_deeply({ map { $_ => $r->{scep}{$_} } @names },
                  { map { $_ => $r->{openssl}{$_} } @names },
                  "$r->{file}: $what");
    }
}

# one JSON line per file; exit 1 only says that some file differs
sub run_diff {
    my @files = @_;
    my @lines;

    open my $p, '-|', $diff_bin, @files or die "$diff_bin: $!";
    @lines = <$p>;
    close $p;

    my $status = $? >> 8;
    BAIL_OUT("$diff_bin failed (exit $status)") if $? && $status != 1;

    return @lines;
}
