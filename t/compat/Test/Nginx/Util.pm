# Copyright (C) 2026 The ngx_scep authors. BSD-2-Clause, see LICENSE.
package Test::Nginx::Util;

# Compat harness: a minimal, compatible subset of openresty's Test::Nginx::Util,
# loaded via t/compat only when the real Test::Nginx is not installed.

use strict;
use warnings;

our $VERSION = '0.29_compat';

use base 'Exporter';

use POSIX qw( SIGQUIT SIGKILL SIGTERM WNOHANG );
use File::Spec ();
use File::Path qw( make_path remove_tree );
use List::Util qw( shuffle );
use Time::HiRes qw( sleep time );
use IO::Socket::INET ();
use Scalar::Util qw( looks_like_number );
use Carp qw( croak );
use Config ();
use Test::More ();

# ---------------------------------------------------------------------------
# settings (same names and defaults as the real module)
# ---------------------------------------------------------------------------

our $Verbose            = $ENV{TEST_NGINX_VERBOSE};
our $NginxBinary        = $ENV{TEST_NGINX_BINARY} || 'nginx';
our $Workers            = 1;
our $WorkerConnections  = 64;
our $LogLevel           = $ENV{TEST_NGINX_LOG_LEVEL} || 'debug';
our $MasterProcessEnabled = $ENV{TEST_NGINX_MASTER_PROCESS} || 'off';
our $DaemonEnabled      = 'on';
our $ServerPort         = $ENV{TEST_NGINX_SERVER_PORT} || $ENV{TEST_NGINX_PORT} || 1984;
our $ServerPortForClient = $ENV{TEST_NGINX_CLIENT_PORT} || $ServerPort || 1984;
our $ServerAddr         = '127.0.0.1';
our $ServerName         = 'localhost';
our $NoRootLocation     = 0;
our $RepeatEach         = 1;
our $NoShuffle          = $ENV{TEST_NGINX_NO_SHUFFLE} || 0;
our $Timeout            = $ENV{TEST_NGINX_TIMEOUT} || 3;
our $TestNginxSleep     = $ENV{TEST_NGINX_SLEEP} || 0.015;
our $UseValgrind        = $ENV{TEST_NGINX_USE_VALGRIND};
our $UseHup             = $ENV{TEST_NGINX_USE_HUP};   # accepted, ignored
our $NoNginxManager     = $ENV{TEST_NGINX_NO_NGINX_MANAGER} || 0;
our $LoadModules        = $ENV{TEST_NGINX_LOAD_MODULES};
our $Randomize          = $ENV{TEST_NGINX_RANDOMIZE};
our $EventType          = $ENV{TEST_NGINX_EVENT_TYPE};
our $PostponeOutput     = $ENV{TEST_NGINX_POSTPONE_OUTPUT};
our $ReusePort          = $ENV{TEST_NGINX_REUSE_PORT};
our $CheckAccumErrLog   = $ENV{TEST_NGINX_CHECK_ACCUM_ERR_LOG};
our $WorkerUser         = $ENV{TEST_NGINX_WORKER_USER};
our $NoLongString;
our $ConfigPreamble     = '';
our $FilterHttpConfig;

# hooks filled in by Test::Nginx::Socket
our $RunTestHelper;
our $CheckErrorLog;
our $CheckShutdownErrorLog;

our @EnvToNginx;
our @BlockPreprocessors;
our @CleanupHandlers;

our ($NginxVersion, $NginxRawVersion, $OpenSSLVersion);
our $PrevConfig;
our $ChildPid;          # nginx run in the foreground (valgrind mode)
our $InSubprocess;
our $ErrLogFilePos = 0;
our $ValgrindLog;

if (defined $WorkerUser && $WorkerUser !~ /^\w+(?:\s+\w+)?$/) {
    die "Bad value in the env TEST_NGINX_WORKER_USER: $WorkerUser\n";
}

if ($UseValgrind) {
    # like the real one: nginx stays in the foreground under valgrind
    # (master_process keeps its configured value)
    $DaemonEnabled = 'off';
}

sub bail_out (@);
sub gen_rand_port (;$$);

if ($Randomize) {
    $ServerPort = gen_rand_port(1000);
    if (!defined $ServerPort) {
        bail_out "Cannot find an available listening port number.\n";
    }
    $ServerPortForClient = $ServerPort;
}

our $ServRoot;
if ($Randomize) {
    $ServRoot = File::Spec->rel2abs("t/servroot_$ServerPort");
} else {
    $ServRoot = $ENV{TEST_NGINX_SERVROOT} || File::Spec->rel2abs('t/servroot');
}
$ENV{TEST_NGINX_SERVER_ROOT} = $ServRoot;

our $LogDir     = File::Spec->catfile($ServRoot, 'logs');
our $ErrLogFile = File::Spec->catfile($LogDir, 'error.log');
our $AccLogFile = File::Spec->catfile($LogDir, 'access.log');
our $HtmlDir    = File::Spec->catfile($ServRoot, 'html');
our $ConfDir    = File::Spec->catfile($ServRoot, 'conf');
our $ConfFile   = File::Spec->catfile($ConfDir, 'nginx.conf');
our $PidFile    = File::Spec->catfile($LogDir, 'nginx.pid');

our @EXPORT = qw(
    env_to_nginx is_str check_accum_error_log is_running
    $NoLongString no_long_string $ServerAddr server_addr $ServerName
    server_name parse_time verbose sleep_time bail_out add_cleanup_handler
    access_log_data error_log_data setup_server_root write_config_file
    get_canon_version get_nginx_version trim show_all_chars parse_headers
    run_tests get_pid_from_pidfile $ServerPortForClient $ServerPort
    $NginxVersion $PidFile $ServRoot $ConfFile $RunTestHelper
    $CheckErrorLog $CheckShutdownErrorLog $FilterHttpConfig $NoNginxManager
    $RepeatEach add_block_preprocessor timeout worker_connections workers
    master_on master_off config_preamble repeat_each master_process_enabled
    log_level no_shuffle no_root_location html_dir server_root server_port
    server_port_for_client no_nginx_manager use_hup
);

# ---------------------------------------------------------------------------
# small helpers and configuration functions
# ---------------------------------------------------------------------------

sub is_running ($) {
    my $pid = shift;
    return 0 unless defined $pid && $pid =~ /^\d+$/ && $pid > 0;
    return 0 unless kill 0, $pid;
    # a zombie nobody reaps (e.g. PID 1 in a container) is not running
    if (open my $in, '<', "/proc/$pid/stat") {
        my $stat = <$in>;
        close $in;
        if (defined $stat && $stat =~ /\)\s+Z\b/) {
            return 0;
        }
    }
    return 1;
}

sub gen_rand_port (;$$) {
    my ($tries, $used) = @_;
    $tries //= 1000;
    $used //= {};
    for (1 .. $tries) {
        my $port = int(rand 63550) + 1985;
        next if $used->{$port};
        my $sock = IO::Socket::INET->new(
            LocalAddr => $ServerAddr,
            LocalPort => $port,
            Proto     => 'tcp',
            Timeout   => 0.1,
        );
        if ($sock) {
            close $sock;
            return $port;
        }
    }
    return undef;
}

sub no_long_string () { $NoLongString = 1 }

sub is_str (@) {
    my ($got, $expected, $desc) = @_;
    local $Test::Builder::Level = $Test::Builder::Level + 1;
    if (ref $expected && ref $expected eq 'Regexp') {
        return Test::More::like($got, $expected, $desc);
    }
    return Test::More::is($got, $expected, $desc);
}

sub server_addr (@) { if (@_) { $ServerAddr = shift } else { return $ServerAddr } }
sub server_name (@) { if (@_) { $ServerName = shift } else { return $ServerName } }
sub timeout (@) { if (@_) { $Timeout = shift } else { return $Timeout } }
sub no_shuffle () { $NoShuffle = 1 }
sub no_nginx_manager () { $NoNginxManager = 1 }
sub use_hup () { $UseHup = 1 }   # accepted for compatibility; nginx is always restarted
sub sleep_time { return $TestNginxSleep }
sub verbose { return $Verbose }
sub check_accum_error_log () { $CheckAccumErrLog = 1 }
sub config_preamble ($) { $ConfigPreamble = shift }
sub no_root_location () { $NoRootLocation = 1 }
sub html_dir () { return $HtmlDir }
sub server_root () { return $ServRoot }

sub server_port (@) { if (@_) { $ServerPort = shift } else { return $ServerPort } }

sub server_port_for_client (@) {
    if (@_) { $ServerPortForClient = shift } else { return $ServerPortForClient }
}

sub repeat_each (@) {
    $RepeatEach = shift if @_;
    return $RepeatEach;
}

sub worker_connections (@) {
    if (@_) { $WorkerConnections = shift } else { return $WorkerConnections }
}

sub workers (@) { if (@_) { $Workers = shift } else { return $Workers } }
sub log_level (@) { if (@_) { $LogLevel = shift } else { return $LogLevel } }
sub master_on () { $MasterProcessEnabled = 'on' }
sub master_off () { $MasterProcessEnabled = 'off' }

sub master_process_enabled (@) {
    if (@_) {
        $MasterProcessEnabled = shift() ? 'on' : 'off';
    } else {
        return $MasterProcessEnabled;
    }
}

sub env_to_nginx (@) {
    croak "env_to_nginx: no arguments specified" unless @_;
    for my $v (@_) {
        if ($v !~ /^[A-Za-z_]/ || $v =~ /\n/) {
            croak "env_to_nginx: bad argument value: $v\n";
        }
        push @EnvToNginx, $v;
    }
}

sub add_block_preprocessor (&) { unshift @BlockPreprocessors, shift }
sub add_cleanup_handler ($) { unshift @CleanupHandlers, shift }

sub parse_time ($) {
    my $tm = shift;
    if (defined $tm) {
        if ($tm =~ s/([^_a-zA-Z])ms$/$1/) {
            $tm = $tm / 1000;
        } else {
            $tm =~ s/([^_a-zA-Z])s$/$1/;
        }
    }
    return $tm;
}

sub trim ($) {
    my $s = shift;
    return undef unless defined $s;
    $s =~ s/^\s+|\s+$//g;
    $s =~ s/\n/ /gs;
    $s =~ s/\s{2,}/ /gs;
    return $s;
}

sub show_all_chars ($) {
    my $s = shift;
    $s =~ s/\n/\\n/gs;
    $s =~ s/\r/\\r/gs;
    $s =~ s/\t/\\t/gs;
    return $s;
}

sub parse_headers ($) {
    my $s = shift;
    my %headers;
    for my $line (split /\n/, $s) {
        $line =~ s/^\s+|\s+$//g;
        next if $line eq '';
        if ($line =~ s/^!\s*//) {
            $headers{$line} = undef;
        } else {
            my ($key, $val) = split /\s*:\s*/, $line, 2;
            $headers{$key} = $val;
        }
    }
    return \%headers;
}

sub get_canon_version (@) {
    return sprintf "%d.%03d%03d", $_[0], $_[1], $_[2];
}

sub get_nginx_version () {
    my $out = `$NginxBinary -V 2>&1`;
    if (!defined $out || $? != 0) {
        $out //= '';
        bail_out("Failed to get the version of the Nginx in PATH: $out");
    }
    if ($out =~ m{built with OpenSSL (\d+)\.(\d+)\.(\d+)}s) {
        $OpenSSLVersion = get_canon_version($1, $2, $3);
    }
    if ($out =~ m{(?:nginx|openresty)[^/]*/(\d+)\.(\d+)\.(\d+)}s
        || $out =~ m{\w+/(\d+)\.(\d+)\.(\d+)}s)
    {
        $NginxRawVersion = "$1.$2.$3";
        return get_canon_version($1, $2, $3);
    }
    bail_out("Failed to parse the output of \"nginx -V\": $out\n");
}

sub get_pid_from_pidfile ($) {
    my ($name) = @_;
    open my $in, '<', $PidFile
        or bail_out("$name - Failed to open the pid file $PidFile for reading: $!");
    my $pid = do { local $/; <$in> };
    close $in;
    $pid = '' unless defined $pid;
    $pid =~ s/\s+//g;
    return $pid;
}

sub can_run {
    my ($cmd) = @_;
    if ($cmd =~ m{/}) {
        return (-f $cmd && -x $cmd) ? $cmd : undef;
    }
    for my $dir ((split /\Q$Config::Config{path_sep}\E/, $ENV{PATH} // ''), '.') {
        next if $dir eq '';
        my $abs = File::Spec->catfile($dir, $cmd);
        return $abs if -f $abs && -x $abs;
    }
    return undef;
}

# ---------------------------------------------------------------------------
# process management
# ---------------------------------------------------------------------------

sub bail_out (@) {
    cleanup();
    Test::More::BAIL_OUT(@_);
}

sub wait_gone ($$) {
    my ($pid, $secs) = @_;
    my $deadline = time + $secs;
    while (is_running($pid)) {
        waitpid($pid, WNOHANG);
        return 0 if time >= $deadline;
        sleep 0.02;
    }
    waitpid($pid, WNOHANG);
    return 1;
}

# QUIT first (graceful), then TERM, then KILL.
sub kill_process ($$$) {
    my ($pid, $wait, $name) = @_;
    return unless is_running($pid);

    if ($wait) {
        kill SIGQUIT, $pid;
        return if wait_gone($pid, $Timeout);
        warn "$name - timeout when waiting for the process $pid to exit\n";
    }

    for (1 .. 10) {
        kill SIGTERM, $pid;
        return if wait_gone($pid, 0.2);
    }

    warn "$name - WARNING: killing the child process $pid with force...\n";
    if (getpgrp($pid) == $pid) {
        kill SIGKILL, -$pid;
    } else {
        kill SIGKILL, $pid;
    }
    wait_gone($pid, 1);
}

# stop whatever nginx the pid file (or our foreground child) points at
sub stop_nginx ($) {
    my ($name) = @_;

    if (defined $ChildPid) {
        stop_child_nginx($name);
    }

    if (-f $PidFile) {
        my $pid = get_pid_from_pidfile($name);
        if ($pid ne '' && is_running($pid)) {
            kill_process($pid, 1, $name);
        }
        if (-f $PidFile && !($pid ne '' && is_running($pid))) {
            unlink $PidFile;
        }
    }
}

sub cleanup () {
    for my $hdl (@CleanupHandlers) {
        $hdl->();
    }
    if (defined $ChildPid) {
        stop_child_nginx('cleanup');
    }
}

# ---------------------------------------------------------------------------
# server root, config file, user files
# ---------------------------------------------------------------------------

sub setup_server_root (;$) {
    if (-d $ServRoot) {
        # only remove what we create ourselves, like the real one
        remove_tree($ConfDir, glob("$ServRoot/*_cache"), glob("$ServRoot/*_temp"),
                    $HtmlDir, $LogDir);
        rmdir $ServRoot
            or bail_out "Can't remove $ServRoot (not empty?): $!";
    }

    for my $dir ($ServRoot, $LogDir, $HtmlDir, $ConfDir) {
        mkdir $dir or bail_out "Failed to do mkdir $dir: $!\n";
    }

    my $index_file = "$HtmlDir/index.html";
    open my $out, '>', $index_file
        or bail_out "Can't open $index_file for writing: $!\n";
    print $out '<html><head><title>It works!</title></head><body>It works!</body></html>';
    close $out;
}

sub expand_env_in_text ($$$) {
    my ($text, $name, $rand_ports) = @_;
    return undef unless defined $text;

    my %used = ($ServerPort => 1, map { $_ => 1 } values %$rand_ports);

    $text =~ s{\$(TEST_NGINX_[_A-Z0-9]+)}{
        my $var = $1;
        my $val;
        if ($var =~ /^TEST_NGINX_RAND_PORT_[0-9]+$/) {
            if (!defined $rand_ports->{$var}) {
                my $port = gen_rand_port(1000, \%used);
                if (!defined $port) {
                    bail_out "$name - Cannot find an available listening port number for $var.\n";
                }
                $rand_ports->{$var} = $port;
                $used{$port} = 1;
            }
            $val = $rand_ports->{$var};
        } else {
            if (!defined $ENV{$var}) {
                bail_out "$name - No environment $var defined.\n";
            }
            $val = $ENV{$var};
        }
        $val;
    }ge;

    return $text;
}

sub write_user_files ($$) {
    my ($block, $rand_ports) = @_;
    my $name = $block->name;
    my $files = $block->user_files;
    return unless $files;

    if (!ref $files) {
        my @list;
        my ($fname, $body, $date);
        for my $line (split /^/m, $files) {
            if ($line =~ /^>>> (\S+)(?:\s+(.+))?/) {
                push @list, [$fname, $body, $date] if defined $fname;
                ($fname, $date, $body) = ($1, $2, undef);
            } else {
                $body .= $line;
            }
        }
        push @list, [$fname, $body, $date] if defined $fname;
        $files = \@list;

    } elsif (ref $files ne 'ARRAY') {
        bail_out "$name - wrong value type: ", ref $files,
                 ", only scalar or ARRAY are accepted";
    }

    for my $file (@$files) {
        my ($fname, $body, $date) = @$file;
        $body = '' unless defined $body;
        my $path = $fname =~ m{^/} ? $fname : "$HtmlDir/$fname";

        if ($path =~ m{(.*)/}) {
            my $dir = $1;
            if ($dir ne '' && !-d $dir) {
                make_path($dir) or bail_out "$name - Cannot create directory ", $dir;
            }
        }

        $body = expand_env_in_text($body, $name, $rand_ports);

        open my $out, '>', $path
            or bail_out "$name - Cannot open $path for writing: $!\n";
        binmode $out;
        print $out $body;
        close $out;

        if ($date) {
            my $cmd = "TZ=GMT touch -t '$date' '$path'";
            system($cmd) == 0
                or bail_out "Failed to run shell command: $cmd\n";
        }
    }
}

sub write_config_file ($$$) {
    my ($block, $config, $rand_ports) = @_;

    my $name = $block->name;
    my $http_config = expand_env_in_text($block->http_config, $name, $rand_ports);
    my $main_config = $block->main_config;
    my $post_main_config = expand_env_in_text($block->post_main_config, $name, $rand_ports);
    my $err_log_file = $block->error_log_file || $ErrLogFile;
    my $server_name = $block->server_name;

    $config = '' unless defined $config;
    $http_config = '' unless defined $http_config;
    $main_config = '' unless defined $main_config;
    $post_main_config = '' unless defined $post_main_config;
    $server_name = $ServerName unless defined $server_name;

    if ($FilterHttpConfig) {
        $http_config = $FilterHttpConfig->($http_config);
    }

    my $postpone = $PostponeOutput;
    undef $postpone if $http_config =~ /\bpostpone_output\b/;
    if (defined $postpone && $postpone !~ /^\d+$/) {
        bail_out "Bad TEST_NGINX_POSTPONE_OUTPUT value: $postpone\n";
    }

    if ($LoadModules) {
        my @mods = map { "load_module $_;" } grep { $_ ne '' } split /\s+/, $LoadModules;
        $main_config .= join ' ', @mods if @mods;
    }
    $main_config = expand_env_in_text($main_config, $name, $rand_ports);

    (my $quoted_server_name = $server_name) =~ s/\\/\\\\/g;
    $quoted_server_name =~ s/'/\\'/g;

    my $listen_opts = $ReusePort ? ' reuseport' : '';

    my $conf = '';
    $conf .= "worker_processes  $Workers;\n";
    $conf .= "daemon $DaemonEnabled;\n";
    $conf .= "master_process $MasterProcessEnabled;\n";
    $conf .= "error_log $err_log_file $LogLevel;\n";
    $conf .= "pid       $PidFile;\n";
    for my $v (qw(MOCKEAGAIN_VERBOSE MOCKEAGAIN MOCKEAGAIN_WRITE_TIMEOUT_PATTERN
                  LD_PRELOAD LD_LIBRARY_PATH DYLD_INSERT_LIBRARIES
                  DYLD_FORCE_FLAT_NAMESPACE))
    {
        $conf .= "env $v;\n";
    }
    for my $v (@EnvToNginx) {
        my $e = $v =~ /\s/ ? "'$v'" : $v;
        $conf .= "env $e;\n";
    }

    $conf .= "\n$main_config\n\n";
    $conf .= "http {\n";
    $conf .= "    access_log $AccLogFile;\n\n";
    $conf .= "    default_type text/plain;\n";
    $conf .= "    keepalive_timeout  68;\n\n";
    $conf .= "$http_config\n\n";
    $conf .= "    server {\n";
    $conf .= "        listen          $ServerPort$listen_opts;\n";
    $conf .= "        server_name     '$quoted_server_name';\n\n";
    $conf .= "        client_max_body_size 30M;\n\n";
    $conf .= "        # Begin preamble config...\n$ConfigPreamble\n        # End preamble config...\n\n";
    $conf .= "        # Begin test case config...\n$config\n        # End test case config.\n\n";
    if (!$NoRootLocation) {
        $conf .= "        location / {\n";
        $conf .= "            root $HtmlDir;\n";
        $conf .= "            index index.html index.htm;\n";
        $conf .= "        }\n";
    }
    $conf .= "    }\n";
    $conf .= "\n    postpone_output $postpone;\n" if defined $postpone;
    $conf .= "}\n\n";
    $conf .= "$post_main_config\n\n";
    $conf .= "events {\n";
    $conf .= "    accept_mutex off;\n\n";
    $conf .= "    worker_connections  $WorkerConnections;\n";
    $conf .= "    use $EventType;\n" if $EventType;
    $conf .= "}\n";
    $conf .= "env ASAN_OPTIONS;\nenv MOCKNOEAGAIN_VERBOSE;\nenv MOCKNOEAGAIN;\n";

    if (defined $WorkerUser) {
        $conf .= "user $WorkerUser;\n";
    } elsif ($> == 0) {
        $conf .= "user root;\n";
    }

    open my $out, '>', $ConfFile
        or bail_out "Can't open $ConfFile for writing: $!\n";
    print $out $conf;
    close $out;
}

# ---------------------------------------------------------------------------
# log access
# ---------------------------------------------------------------------------

# Lines of error.log written since the last call in this block (or all of
# them with check_accum_error_log).  A trailing partial line is left for the
# next call.  Returns ($lines, $is_full) where $is_full means "the whole file".
sub read_error_log_lines () {
    open my $in, '<', $ErrLogFile or return ([], 0);
    binmode $in;
    my $pos = $CheckAccumErrLog ? 0 : $ErrLogFilePos;
    seek $in, $pos, 0 if $pos > 0;
    my $data = do { local $/; <$in> };
    close $in;
    $data = '' unless defined $data;
    if (!$CheckAccumErrLog) {
        my $cut = rindex($data, "\n");
        $data = $cut >= 0 ? substr($data, 0, $cut + 1) : '';
        $ErrLogFilePos = $pos + length $data;
    }
    my @lines = split /^/m, $data;
    return (\@lines, $CheckAccumErrLog ? 1 : 0);
}

sub read_access_log_lines () {
    open my $in, '<', $AccLogFile or return ([], 1);
    my @lines = <$in>;
    close $in;
    return (\@lines, 1);
}

sub error_log_data () {
    my ($lines) = read_error_log_lines();
    return $lines;
}

sub access_log_data () {
    my ($lines) = read_access_log_lines();
    return $lines;
}

# ---------------------------------------------------------------------------
# valgrind mode: nginx in the foreground as our child
# ---------------------------------------------------------------------------

# Is something listening on $port -- and, when $pid is given and /proc tells,
# is it that process (so that a stray server on the same port does not count)?
sub port_is_listening ($;$) {
    my ($port, $pid) = @_;
    my $hex = sprintf '%04X', $port;
    my $found_proc;
    my %inodes;
    for my $f ('/proc/net/tcp', '/proc/net/tcp6') {
        open my $in, '<', $f or next;
        $found_proc = 1;
        while (<$in>) {
            # sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
            my @f = split ' ';
            next unless @f >= 10 && $f[1] =~ /:$hex$/ && $f[3] eq '0A';
            $inodes{$f[9]} = 1;
        }
        close $in;
    }
    if ($found_proc) {
        return 0 unless %inodes;
        return 1 unless defined $pid;
        opendir my $dh, "/proc/$pid/fd" or return 1;
        for my $fd (readdir $dh) {
            my $link = readlink "/proc/$pid/fd/$fd";
            if (defined $link && $link =~ /^socket:\[(\d+)\]$/ && $inodes{$1}) {
                closedir $dh;
                return 1;
            }
        }
        closedir $dh;
        return 0;
    }
    my $sock = IO::Socket::INET->new(PeerAddr => $ServerAddr, PeerPort => $port,
                                     Proto => 'tcp', Timeout => 1);
    if ($sock) { close $sock; return 1 }
    return 0;
}

sub start_child_nginx ($$) {
    my ($name, $cmd) = @_;

    my $is_script = 0;
    if (my $path = can_run($NginxBinary)) {
        if (open my $in, '<', $path) {
            my $magic = '';
            read $in, $magic, 2;
            close $in;
            $is_script = 1 if $magic eq '#!';
        }
    }

    $ValgrindLog = undef;
    my $vg;
    if ($UseValgrind =~ /^\d+$/) {
        $vg = "valgrind --num-callers=100 -q --tool=memcheck --leak-check=full"
              . " --show-possibly-lost=no --gen-suppressions=all";
        $vg .= " --suppressions=valgrind.suppress" if -f 'valgrind.suppress';
    } else {
        $vg = "valgrind -q $UseValgrind";
    }
    # a wrapper script around nginx: follow it into the real binary
    $vg .= " --trace-children=yes" if $is_script && $vg !~ /--trace-children/;
    if ($vg !~ /--log-(?:file|fd|socket)/) {
        $ValgrindLog = "$LogDir/valgrind.log";
        $vg .= " --log-file=$ValgrindLog";
    }
    $cmd = "$vg $cmd";

    warn "$name\n";
    warn "command: $cmd\n" if $Verbose;

    if (port_is_listening($ServerPort)) {
        warn "$name - WARNING: something else already listens on port $ServerPort\n";
    }

    my $pid = fork();
    if (!defined $pid) {
        bail_out("$name - fork() failed: $!");
    }
    if ($pid == 0) {
        setpgrp(0, 0);
        Test::More->builder->no_ending(1);
        $InSubprocess = 1;
        exec "exec $cmd" or POSIX::_exit(127);
    }
    $ChildPid = $pid;

    # wait for it to listen (valgrind start-up is slow)
    my $limit = $Timeout * 10;
    $limit = 60 if $limit < 60;
    my $deadline = time + $limit;
    while (time < $deadline) {
        my $r = waitpid($pid, WNOHANG);
        if ($r == $pid || $r == -1) {
            warn "$name - nginx (under valgrind) exited prematurely with status $?\n";
            undef $ChildPid;
            report_valgrind($name);
            return;
        }
        return if port_is_listening($ServerPort, $pid);
        sleep 0.05;
    }
    warn "$name - nginx (under valgrind) does not listen on port $ServerPort after ${limit}s\n";
}

sub stop_child_nginx ($) {
    my ($name) = @_;
    my $pid = $ChildPid;
    return unless defined $pid;
    undef $ChildPid;

    my $limit = $Timeout * 10;
    $limit = 30 if $limit < 30;
    if (waitpid($pid, WNOHANG) == 0) {
        kill SIGQUIT, $pid;
        my $deadline = time + $limit;
        my $done;
        while (time < $deadline) {
            my $r = waitpid($pid, WNOHANG);
            if ($r == $pid || $r == -1) { $done = 1; last }
            sleep 0.05;
        }
        if (!$done) {
            warn "$name - timeout when waiting for nginx (pid $pid) to exit; killing it\n";
            kill SIGKILL, -$pid;
            kill SIGKILL, $pid;
            waitpid($pid, 0);
        }
    }
    # workers/helpers left in the process group, if any
    kill SIGKILL, -$pid if kill 0, -$pid;
    unlink $PidFile if -f $PidFile;
}

# Print valgrind's findings and turn them into a test failure.
sub report_valgrind ($) {
    my ($name) = @_;
    return unless defined $ValgrindLog;
    my $file = $ValgrindLog;
    undef $ValgrindLog;
    open my $in, '<', $file or return;
    my $out = do { local $/; <$in> };
    close $in;
    return unless defined $out && $out =~ /\S/;

    print STDERR $out;
    if ($out =~ /^==\d+==/m) {
        Test::More->builder->no_ending(1);
        Test::More::fail("$name - valgrind reported errors (see the output above)");
    }
}

# ---------------------------------------------------------------------------
# main driver
# ---------------------------------------------------------------------------

sub run_tests () {
    $NginxVersion = get_nginx_version();

    if (!defined $ENV{TEST_NGINX_SERVER_PORT}) {
        $ENV{TEST_NGINX_SERVER_PORT} = $ServerPort;
    }

    my @blocks = Test::Base::blocks();
    @blocks = shuffle @blocks unless $NoShuffle;

    for my $block (@blocks) {
        for my $hdl (@BlockPreprocessors) {
            $hdl->($block);
        }
        $block->set_value("name", $0 . " " . $block->name);
        run_test($block);
    }

    cleanup();
}

sub check_if_missing_directives () {
    open my $in, '<', $ErrLogFile or return 0;
    while (<$in>) {
        if (/\[emerg\] \S+?: unknown directive "([^"]+)"/) {
            close $in;
            return $1;
        }
    }
    close $in;
    return 0;
}

# Evaluate skip_eval / skip_nginx / skip_nginx2 / skip_openssl / todo
sub skip_and_todo ($) {
    my ($block) = @_;
    my $name = $block->name;
    my ($tests_to_skip, $should_skip, $skip_reason, $should_todo, $todo_reason);

    my $ver_test = sub {
        my ($op, $ver) = @_;
        return 1 if !defined $NginxVersion && $op =~ /^</;
        return 0 if !defined $NginxVersion;
        return eval "$NginxVersion $op $ver";
    };

    if (defined(my $skip_eval = $block->skip_eval)) {
        if ($skip_eval =~ /^\s*(\d+)\s*:\s*(.*)/s) {
            $tests_to_skip = $1;
            $skip_reason = "skip_eval";
            my $code = $2;
            $should_skip = eval $code;
            if ($@) {
                bail_out("$name - skip_eval - failed to eval the Perl code \"$code\": $@");
            }
        }
    }

    if (defined(my $s = $block->skip_nginx)) {
        if ($s =~ /^\s*(\d+)\s*:\s*([<>]=?)\s*(\d+)\.(\d+)\.(\d+)(?:\s*:\s*(.*))?\s*$/) {
            $tests_to_skip = $1;
            my ($op, $ver) = ($2, get_canon_version($3, $4, $5));
            $skip_reason = $6 || "nginx version $2 $3.$4.$5";
            $should_skip = 1 if $ver_test->($op, $ver);
        } else {
            bail_out("$name - Invalid --- skip_nginx spec: $s");
        }
    } elsif (defined(my $s2 = $block->skip_nginx2)) {
        if ($s2 =~ /^\s*(\d+)\s*:\s*([<>]=?)\s*(\d+)\.(\d+)\.(\d+)\s*(or|and)\s*([<>]=?)\s*(\d+)\.(\d+)\.(\d+)(?:\s*:\s*(.*))?\s*$/) {
            $tests_to_skip = $1;
            my $a = $ver_test->($2, get_canon_version($3, $4, $5));
            my $b = $ver_test->($7, get_canon_version($8, $9, $10));
            $skip_reason = $11;
            if (!defined $NginxVersion
                || ($6 eq 'or' && ($a || $b))
                || ($6 eq 'and' && ($a && $b)))
            {
                $should_skip = 1;
            }
        } else {
            bail_out("$name - Invalid --- skip_nginx2 spec: $s2");
        }
    }

    if (defined(my $s = $block->skip_openssl)) {
        if ($s =~ /^\s*(\d+)\s*:\s*([<>]=?)\s*(\d+)\.(\d+)\.(\d+)[a-z]?(?:\s*:\s*(.*))?\s*$/) {
            $tests_to_skip = $1;
            my ($op, $ver) = ($2, get_canon_version($3, $4, $5));
            $skip_reason = $6 || (defined $OpenSSLVersion
                                  ? "OpenSSL version $2 $3.$4.$5"
                                  : "Not built with OpenSSL");
            if (!defined $OpenSSLVersion || eval "$OpenSSLVersion $op $ver") {
                $should_skip = 1;
            }
        } else {
            bail_out("$name - Invalid --- skip_openssl spec: $s");
        }
    }

    if (defined(my $t = $block->todo)) {
        if ($t =~ /^\s*(\d+)\s*:\s*(.*)/s) {
            $should_todo = 1;
            $tests_to_skip = $1;
            $todo_reason = $2;
        } else {
            bail_out("$name - Invalid --- todo spec: $t");
        }
    }

    $skip_reason = "various reasons" unless defined $skip_reason;
    $todo_reason = "various reasons" unless defined $todo_reason;

    return ($tests_to_skip, $should_skip, $skip_reason, $should_todo, $todo_reason);
}

sub nginx_is_up () {
    return 1 if defined $ChildPid && waitpid($ChildPid, WNOHANG) == 0;
    return 0 unless -f $PidFile;
    my $pid = get_pid_from_pidfile('');
    return $pid ne '' && is_running($pid);
}

sub run_test ($) {
    my $block = shift;

    return if defined $block->SKIP;

    my $name = $block->name;
    my $rand_ports = {};

    my $config = $block->config;
    my $should_restart = 1;

    if (!defined $config) {
        if (!$NoNginxManager) {
            if (!defined $PrevConfig) {
                bail_out("$name - No '--- config' section specified and could not get previous one. Use TEST_NGINX_NO_NGINX_MANAGER ?");
            }
            # reuse the nginx of the previous block (restart it with the
            # previous config only if it is not running any more)
            $config = $PrevConfig;
            $should_restart = nginx_is_up() ? 0 : 1;
        }
    } else {
        $config = expand_env_in_text($config, $name, $rand_ports);
    }

    local $LogLevel = $LogLevel;
    if ($block->log_level) {
        $LogLevel = $block->log_level;
    }

    my $must_die = $block->must_die;

    local $UseValgrind = $UseValgrind;
    local $DaemonEnabled = $DaemonEnabled;
    if (defined $must_die && $UseValgrind) {
        undef $UseValgrind;
        $DaemonEnabled = 'on';
    }

    my ($tests_to_skip, $should_skip, $skip_reason, $should_todo, $todo_reason)
        = skip_and_todo($block);

    my $dry_run = 0;

    if (!$NoNginxManager && !$should_skip && $should_restart) {
        $PrevConfig = $config;

        stop_nginx($name);

        setup_server_root();
        write_user_files($block, $rand_ports);
        write_config_file($block, $config, $rand_ports);

        if (!can_run($NginxBinary)) {
            bail_out("$name - Cannot find the nginx executable in the PATH environment");
        }

        my $cmd = "$NginxBinary -p $ServRoot/ -c $ConfFile > /dev/null";

        if ($UseValgrind) {
            $ErrLogFilePos = 0;
            start_child_nginx($name, $cmd);

        } else {
            $ErrLogFilePos = 0;
            my $i = 0;
            my $waited = 0;

            while (1) {
                warn "CMD: $cmd\n" if $Verbose;
                system($cmd);
                my $status = $?;
                my ($exec_failed, $exit_code, $coredump);
                if ($status == -1) {
                    $exec_failed = 1;
                } else {
                    $exit_code = $status >> 8;
                    $coredump = $status & 128;
                }

                if (defined $must_die) {
                    if ($exec_failed) {
                        Test::More::fail("$name - failed to execute the nginx command line");
                    } elsif ($coredump) {
                        Test::More::fail("$name - nginx core dumped");
                    } elsif (looks_like_number($must_die)) {
                        Test::More::is($must_die, $exit_code,
                                       "$name - die with the expected exit code");
                    } else {
                        Test::More::isnt($status, 0, "$name - die as expected");
                    }

                    $CheckErrorLog->($block, undef, $dry_run, $i, 0);

                    if ($status == 0) {
                        warn "WARNING: $name - nginx must die but it does not; killing it (req $i)\n";
                        for (1 .. 15) {
                            last if -f $PidFile;
                            sleep $TestNginxSleep;
                        }
                        stop_nginx($name);
                    }

                    next if ++$i < $RepeatEach;
                    return;
                }

                last if $status == 0;

                if ($ENV{TEST_NGINX_IGNORE_MISSING_DIRECTIVES}
                    and my $directive = check_if_missing_directives())
                {
                    $dry_run = "the lack of directive $directive";
                    last;
                }

                $i++;
                my $delay = 0.1 * $i;
                $delay = 1 if $delay > 1;
                sleep $delay;
                $waited += $delay;
                next if $waited < 30;
                bail_out("$name - Cannot start nginx using command \"$cmd\" (status code $status).");
            }
        }

        sleep $TestNginxSleep;
    }

    if (defined(my $init = $block->init)) {
        if ($init ne '') {
            eval $init;
            if ($@) {
                bail_out("$name - init failed: $@");
            }
        }
    }

    $ErrLogFilePos = 0;
    for my $i (0 .. $RepeatEach - 1) {
        if ($i > 0) {
            write_user_files($block, $rand_ports);
        }

        if ($should_skip && defined $tests_to_skip) {
            SKIP: {
                Test::More::skip("$name - $skip_reason", $tests_to_skip);
                $RunTestHelper->($block, $dry_run, $i);
            }

        } elsif ($should_todo) {
            TODO: {
                Test::More::todo_skip("$name - $todo_reason", $tests_to_skip);
                $RunTestHelper->($block, $dry_run, $i);
            }

        } else {
            $RunTestHelper->($block, $dry_run, $i);
        }
    }

    if (my $total_errlog = $ENV{TEST_NGINX_ERROR_LOG}) {
        if (-s $ErrLogFile) {
            if (open my $out, '>>', $total_errlog) {
                print $out "\n=== $0 $name\n";
                if (open my $in, '<', $ErrLogFile) {
                    local $/;
                    my $data = <$in>;
                    print $out $data if defined $data;
                    close $in;
                }
                close $out;
            } else {
                bail_out "Failed to append test case title to $total_errlog: $!\n";
            }
        }
    }

    if (defined $ChildPid) {
        # valgrind mode: stop nginx so that its exit-time reports show up
        stop_child_nginx($name);
        report_valgrind($name);
    }
}

END {
    return if $InSubprocess;
    local $?;

    cleanup();

    if ($UseValgrind || !$ENV{TEST_NGINX_NO_CLEAN}) {
        if (defined $PidFile && -f $PidFile) {
            my $pid = get_pid_from_pidfile('END');
            if ($pid ne '' && is_running($pid)) {
                kill_process($pid, 1, "END");
            } else {
                unlink $PidFile;
            }
        }
    }

    if ($Randomize && defined $ServRoot && -d $ServRoot
        && $ServRoot =~ m{/t/servroot_\d+$})
    {
        remove_tree($ServRoot);
    }
}

1;
