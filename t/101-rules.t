# Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE.
# The Prometheus rules shipped in conf/prometheus/: promtool checks them
# and runs their unit tests (scep.rules.test.yml), and the alerts, the
# families they read and the docs agree.

use strict;
use warnings;

use Test::More;

my $dir = 'conf/prometheus';

system('promtool --version >/dev/null 2>&1') == 0
    or plan skip_all => 'promtool is not installed (make deps)';

my $out = `promtool check rules $dir/scep.rules.yml 2>&1`;
is($?, 0, 'promtool check rules scep.rules.yml') or diag($out);
like($out, qr/SUCCESS: \d+ rules found/, 'it finds the rules');

$out = `cd $dir && promtool test rules scep.rules.test.yml 2>&1`;
is($?, 0, 'promtool test rules scep.rules.test.yml') or diag($out);

# a unit test that cannot fail is no test: a wrong expectation fails
my $tmp = "t/servroot-rules-$$";
mkdir $tmp or die "$tmp: $!";
system("cp $dir/scep.rules.yml $tmp/") == 0 or die;
{
    open my $in, '<', "$dir/scep.rules.test.yml" or die $!;
    open my $o, '>', "$tmp/scep.rules.test.yml" or die $!;
    local $/;
    my $t = <$in>;
    $t =~ s/value: 9\.75/value: 4.75/ or die 'no p95 sample to change';
    print $o $t;
}
$out = `cd $tmp && promtool test rules scep.rules.test.yml 2>&1`;
isnt($?, 0, 'a changed expectation fails the unit tests');
like($out, qr/FAILED:.*p95_5m/s, 'and promtool says which');
system("rm -rf $tmp");

my $rules = do {
    local $/;
    open my $in, '<', "$dir/scep.rules.yml" or die $!;
    <$in>;
};
my $tests = do {
    local $/;
    open my $in, '<', "$dir/scep.rules.test.yml" or die $!;
    <$in>;
};
my $guide = do {
    local $/;
    open my $in, '<', 'docs/ops-guide.md' or die $!;
    <$in>;
};

my @alerts = $rules =~ /^\s*- alert: (\w+)$/mg;
ok(@alerts >= 8, scalar(@alerts) . ' alerts');

# each alert is unit-tested firing, and listed in the ops guide
for my $a (@alerts) {
    like($tests, qr/alertname: $a\n\s+exp_alerts:\n\s+- exp_labels:/,
         "$a: a unit test where it fires");
    like($guide, qr/`$a`/, "$a: in docs/ops-guide.md");
}

# the families the rules read are the module's (ngx_http_scep_metrics.c)
my $src = do {
    local $/;
    open my $in, '<', 'ngx_scep_module/ngx_http_scep_metrics.c' or die $!;
    <$in>;
};
my %used = map { $_ => 1 } grep { /_(?:total|seconds)$/ }
           $rules =~ /\b(scep_[a-z_]+?)(?:_bucket)?\b[\[{( ]/g;
for my $f (sort keys %used) {
    like($src, qr/"\Q$f\E"/, "$f: a family of the module");
}

done_testing();
