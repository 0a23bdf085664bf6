#!/usr/bin/perl
# Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE.
# The reference pkiMessage with its encapsulated content (the encrypted
# envelope) grown or shrunk so that the whole message is about SIZE bytes,
# every enclosing length re-encoded: for timing the decoder against the
# size of a message.  The messageDigest no longer matches; decoding does
# not look.
#   bench/resize.pl IN.der OUT-DIR SIZE...

use strict;
use warnings;

my ($in, $out, @sizes) = @ARGV;
@sizes or die "usage: resize.pl IN.der OUT-DIR SIZE...\n";

my $der = do { local $/; open my $f, '<:raw', $in or die "$in: $!"; <$f> };

# a TLV: [tag bytes, content or children]
sub parse {
    my ($buf) = @_;
    my @nodes;
    my $i = 0;
    while ($i < length $buf) {
        my $t = ord substr($buf, $i, 1);
        my $tag = substr($buf, $i++, 1);
        my $l = ord substr($buf, $i++, 1);
        if ($l & 0x80) {
            my $n = $l & 0x7f;
            $l = 0;
            $l = $l * 256 + ord substr($buf, $i++, 1) for 1 .. $n;
        }
        my $content = substr($buf, $i, $l);
        $i += $l;
        push @nodes, ($t & 0x20) ? [$tag, parse($content)] : [$tag, $content];
    }
    return \@nodes;
}

sub len {
    my ($n) = @_;
    return chr $n if $n < 128;
    my $s = '';
    while ($n) { $s = chr($n & 0xff) . $s; $n >>= 8 }
    return chr(0x80 | length $s) . $s;
}

sub serialize {
    my ($nodes) = @_;
    my $buf = '';
    for my $node (@$nodes) {
        my $c = ref $node->[1] ? serialize($node->[1]) : $node->[1];
        $buf .= $node->[0] . len(length $c) . $c;
    }
    return $buf;
}

my $tree = parse($der);

# ContentInfo -> [0] -> SignedData -> encapContentInfo -> [0] -> OCTET STRING
my $signed = $tree->[0][1][1][1][0];
my $encap = $signed->[1][2];
my $octets = $encap->[1][1][1][0];
my $fixed = length($der) - length($octets->[1]);

for my $size (@sizes) {
    my $want = $size - $fixed;
    $want = 16 if $want < 16;
    $octets->[1] = join '', map { chr int rand 256 } 1 .. $want;
    my $file = sprintf '%s/size-%05d.der', $out, $size;
    open my $f, '>:raw', $file or die "$file: $!";
    print $f serialize($tree);
    close $f;
}
