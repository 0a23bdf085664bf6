# Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE.
# One definition of each fact: the schema and the docs are held to the
# module's own tables (ngx_scep_module/core/scep_tables.c).

use strict;
use warnings;

use JSON::PP;
use Test::More;

my $facts_bin = $ENV{SCEP_FACTS} // 'build/scep-facts';
-x $facts_bin or plan skip_all => "$facts_bin is not built (make)";

my $facts = decode_json(scalar `$facts_bin json`);
my $schema = do {
    local $/;
    open my $in, '<', 'docs/scep-log.schema.json' or die $!;
    decode_json(<$in>);
};

my $scep = $schema->{properties}{scep}{properties};

is_deeply([sort @{ $scep->{operation}{enum} }],
          [sort @{ $facts->{operations} }],
          'schema: scep.operation names the operations of the table');

is_deeply($scep->{client}{enum}, $facts->{clients},
          'schema: scep.client names the client families of the table');

is_deeply([sort @{ $scep->{reject}{properties}{reason}{enum} }],
          [sort map { $_->{name} } @{ $facts->{reject_reasons} }],
          'schema: scep.reject.reason names the reasons of the table');

is_deeply([sort @{ $scep->{message}{properties}{type}{enum} }],
          [sort map { $_->{name} } @{ $facts->{message_types} }],
          'schema: scep.message.type names the message types of the table');

is_deeply([sort { $a <=> $b } @{ $scep->{message}{properties}{type_code}{enum} }],
          [sort { $a <=> $b } map { $_->{code} } @{ $facts->{message_types} }],
          'schema: scep.message.type_code gives their codes');

is_deeply([sort @{ $scep->{diagnosis}{properties}{code}{enum} }],
          [sort @{ $facts->{diagnoses} }],
          'schema: scep.diagnosis.code names the diagnoses of the table');

is_deeply($scep->{response}{properties}{ndes_error}{properties}{name}{enum},
          $facts->{ndes_errors},
          'schema: scep.response.ndes_error.name names the HRESULTs of the'
          . ' diagnosis table');

is_deeply($scep->{response}{properties}{undecoded}{enum}, $facts->{undecoded},
          'schema: scep.response.undecoded names the reasons of the table');

is_deeply($scep->{upstream}{properties}{error}{enum},
          $facts->{upstream_errors},
          'schema: scep.upstream.error names the classes of the table');

is_deeply($scep->{flow}{properties}{outcome}{enum}, $facts->{outcomes},
          'schema: scep.flow.outcome names the outcomes of the table');

is_deeply($scep->{flow}{properties}{joined_by}{enum}, $facts->{flow_joins},
          'schema: scep.flow.joined_by names the joins of the table');

is_deeply($scep->{message}{properties}{query_encoding}{items}{enum},
          $facts->{query_encodings},
          'schema: scep.message.query_encoding names the encodings of the table');
is_deeply($scep->{response}{properties}{warnings}{items}{properties}{code}{enum},
          $facts->{warnings},
          'schema: scep.response.warnings[].code names the warnings of the table');

my $docs = do {
    local $/;
    open my $in, '<', 'docs/directives.md' or die $!;
    <$in>;
};
my ($table) = $docs =~ m{<!-- reject-reasons:begin -->\n(.*?)<!-- reject-reasons:end -->}s;

is($table, scalar `$facts_bin markdown`,
   'docs/directives.md: the reject table is the one the module defines'
   . ' (make docs)');

my ($diag) = $docs =~ m{<!-- diagnoses:begin -->\n(.*?)<!-- diagnoses:end -->}s;

is($diag, scalar `$facts_bin diagnoses`,
   'docs/directives.md: the diagnosis table is the one the module defines'
   . ' (make docs)');

my $soc = do {
    local $/;
    open my $in, '<', 'docs/soc-guide.md' or die $!;
    <$in>;
};

my ($fields) = $soc =~ m{<!-- fields:begin -->\n(.*?)<!-- fields:end -->}s;

is($fields, scalar `t/lib/schema-fields docs/scep-log.schema.json`,
   'docs/soc-guide.md: the field table is the schema\'s (make docs)');

my ($ndes) = $soc =~ m{<!-- ndes-errors:begin -->\n(.*?)<!-- ndes-errors:end -->}s;

is($ndes, scalar `$facts_bin ndes-errors`,
   'docs/soc-guide.md: the table of NDES\'s error codes is the one the'
   . ' module defines (make docs)');

($diag) = $soc =~ m{<!-- diagnoses:begin -->\n(.*?)<!-- diagnoses:end -->}s;

is($diag, scalar `$facts_bin diagnoses`,
   'docs/soc-guide.md: the diagnosis table is the one the module defines'
   . ' (make docs)');

done_testing();
