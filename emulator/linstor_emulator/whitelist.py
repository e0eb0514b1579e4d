# ruff: noqa: E501 - one whitelist entry a line, as the controller lists it
"""LINSTOR's property whitelists for resource definitions and volume definitions (data only).

The controller refuses a property key that is not on the whitelist of the object it is set on
(FAIL_INVLD_PROP "Invalid property key"), except keys under ``Aux/`` and ``EBS/Tags/``
(CtrlPropsHelper.fillProperties), and checks the value of a whitelisted key against its rule.
``GET /v1/resource-definitions/properties/info`` and ``GET /v1/resource-groups/properties/info``
both list RESOURCE_DEFINITION below (resource groups are checked against the resource-definition
rules: CtrlRscGrpApiCallHandler); the volume-definition and volume-group endpoints list
VOLUME_DEFINITION. Each entry is the PropsInfo the controller serves for the key.

Sources: LINSTOR 1.28.0, the version the emulator reports.

- linstor-server, tag v1.28.0, whose submodule linstor-common is at commit
  17f8f60889be6119656dc2abb4c674cd50304d5a (2024-06-07, "Backups: add new prop for receive-timeout").
  At build time linstor-common/genproperties.py turns the two files below into
  GeneratedPropertyRules.java; WhitelistProps loads it.
- linstor-common properties.json at that commit: the rules, and the objects each applies to
  ("resource-definition": 70 rules, "volume-definition": 47); rule keys written as consts.json
  names are resolved through consts.json of the same commit.
- linstor-common drbdsetup.xml at that commit: ``drbdsetup xml-help`` of drbd-utils 9.26.0-rc.2
  (DRBD 9.2.5) for disk-options, peer-device-options, resource-options and new-peer, made into
  ``DrbdOptions/Disk|PeerDevice|Resource|Net/<option>`` keys as linstor-common/gendrbdoptions.py
  does: resource definitions get all four sections and the thirteen ``DrbdOptions/Handlers/<name>``
  keys, volume definitions the disk options; ``resync-after`` is a string rule. (The controller
  re-reads the installed drbdsetup at start-up, but only for its own CONTROLLER object:
  WhitelistPropsReconfigurator.) python-linstor 1.29.1's generated linstor/properties.py, built
  from a later linstor-common, agrees on every DRBD option (names, types, ranges, defaults, units).
- The PropsInfo fields as CtrlPropsInfoApiCallHandler.listFilteredProps fills them from the rule
  classes of linstor-server v1.28.0 (PropertyBuilder, *Property): ``prop_type`` is the rule type
  lower-cased, a symbol list being a regex rule ``(?:a|b|...)`` of its sorted values; ``value`` is
  the pattern (``(min - max)`` for a range, ``(min - max) or (?:...)`` for numeric-or-symbol,
  ``(?i)(?:yes|no)`` for a DRBD boolean), absent for long and string rules; ``dflt`` is the default
  as the generator printed it (DRBD booleans ``True``/``False``); null fields are left out, as
  Jackson's NON_EMPTY does.

Sizes: RESOURCE_DEFINITION 154 keys (70 from properties.json, 84 DRBD options and handlers),
VOLUME_DEFINITION 60 keys (47 and 13); 57 of them, the same rule for both objects, are written once
(_DEFINITION_RULES).
"""

from __future__ import annotations

FREE_PREFIXES = ("Aux/", "EBS/Tags/")
"""Keys under these prefixes skip the whitelist (CtrlPropsHelper: ``Aux/`` always, ``EBS/Tags/`` for
resource and volume definitions and groups)."""

_DEFINITION_RULES: dict[str, dict[str, str]] = {
    # the rules that apply to resource definitions and volume definitions alike
    # -- from properties.json (44 keys)
    "BCache/Blocksize": {"info": "Block size", "prop_type": "long"},
    "BCache/Bucketsize": {"info": "Bucket size", "prop_type": "long"},
    "BCache/CacheReplacementPolicy": {"info": "Cache replacement policy. Default: lru", "prop_type": "regex", "value": "(?:fifo|lru)"},
    "BCache/DataOffset": {"info": "Data offset", "prop_type": "long"},
    "BCache/Discard": {"info": "Enable discard if set to true", "prop_type": "boolean_true_false", "value": "(?i)(?:true|false|yes|no)"},
    "BCache/PoolName": {"info": "Name of the storage pool used for the bcache", "prop_type": "regex", "value": "^[a-zA-Z0-9_][a-zA-Z0-9_-]{2,47}$"},
    "BCache/Size": {"info": "Size of the cache in % (0-100) or KiB otherwise. Minimum 524288", "prop_type": "regex", "value": "^100%|[0-9]{1,2}([.][0-9]*)?%|[1-9][0-9]{2,}$", "dflt": "5%"},
    "BCache/Writeback": {"info": "Enable writeback if set to true", "prop_type": "boolean_true_false", "value": "(?i)(?:true|false|yes|no)"},
    "Cache/Blocksize": {"info": "Block size", "prop_type": "long", "dflt": "4096"},
    "Cache/CachePool": {"info": "Name of the storage pool used for the cache cache device", "prop_type": "regex", "value": "^[a-zA-Z0-9_][a-zA-Z0-9_-]{2,47}$"},
    "Cache/Cachesize": {"info": "Size of the cache in % (0-100) or KiB otherwise.", "prop_type": "regex", "value": "^100%|[0-9]{1,2}([.][0-9]*)?%|[1-9][0-9]{2,}$", "dflt": "5%"},
    "Cache/MetaPool": {"info": "Name of the storage pool used for the cache metadata. If not specified, this will default to the CachePool property", "prop_type": "regex", "value": "^[a-zA-Z0-9_][a-zA-Z0-9_-]{2,47}$"},
    "Cache/Metasize": {"info": "Size of the cache in % (0-100) or KiB otherwise.", "prop_type": "regex", "value": "^100%|[0-9]{1,2}([.][0-9]*)?%|[1-9][0-9]{2,}$", "dflt": "12288"},
    "Cache/OpMode": {"info": "Operation mode", "prop_type": "regex", "value": "(?:passthrough|writeback|writethrough)", "dflt": "writethrough"},
    "Cache/Policy": {"info": "Replacement policy", "prop_type": "regex", "value": "(?:cleaner|mq|smq)", "dflt": "smq"},
    "DrbdOptions/auto-rs-discard-granularity": {"info": "If set to false it will disable automatic setting of DRBD rs-discard-granularity. If not set or set to true, automatically setting the rs-discard-granularity property might override previously values specified by the user on volume-definition level", "prop_type": "string"},
    "EBS/VolumeType": {"info": "Sets the Volume Type for the EBS device (like gp2, gp3, etc..)", "prop_type": "string", "dflt": "gp2"},
    "FileSystem/Group": {"info": "Owner group (name or ID) of the created file system", "prop_type": "string", "dflt": "If neither user nor group is given, use the current user of the Linstor process. If only User is given, use the user's group"},
    "FileSystem/MkfsParams": {"info": "Additional parameters for the mkfs command", "prop_type": "string"},
    "FileSystem/Type": {"info": "File system type to use", "prop_type": "regex", "value": "(?:ext4|xfs)"},
    "FileSystem/User": {"info": "Owner user (name or ID) of the created file system", "prop_type": "string", "dflt": "If neither user nor group is given, use the current user of the Linstor process. If only Group is given, use 'nobody' as user"},
    "StorDriver/Exos/CreateVolumeOptions": {"info": "Any additional parameters appended to /create/volume/pool/${poolName}/size/${size}KiB/${vlmName}", "prop_type": "string"},
    "StorDriver/Exos/VolumeType": {"info": "linear: Volumes are created from Disk Groups (vdisks), virtual: Volumes are created from Pools which is a set of Disk Groups (vdisks)", "prop_type": "regex", "value": "(?:linear|virtual)"},
    "StorDriver/LvcreateOptions": {"info": "Additional parameters added to every 'lvcreate ... ' command", "prop_type": "regex", "value": ".*"},
    "StorDriver/LvcreateSnapshotOptions": {"info": "Additional parameters added to every 'lvcreate --snapshot ... ' command", "prop_type": "regex", "value": ".*"},
    "StorDriver/LvcreateType": {"prop_type": "regex", "value": "(?:linear|lz4|lzma|mirror|raid0|raid1|raid10|raid4|raid5|raid6|striped)", "dflt": "linear"},
    "StorDriver/ZfsSnapshotOptions": {"info": "Additional parameters added to every 'zfs snapshot ... ' command", "prop_type": "regex", "value": ".*"},
    "StorDriver/ZfscreateOptions": {"info": "Additional parameters added to every 'zfs create ... ' command", "prop_type": "regex", "value": ".*"},
    "StorPoolName": {"info": "Linstor storage pool name to use.", "prop_type": "regex", "value": "^[a-zA-Z0-9_][a-zA-Z0-9_-]{2,47}$"},
    "StorPoolNameDrbdMeta": {"info": "Linstor storage pool name to use for external metadata.", "prop_type": "regex", "value": "^|.internal|[a-zA-Z0-9_][a-zA-Z0-9_-]{2,47}$"},
    "Writecache/Options/Additional": {"info": "Additional arguments passed through", "prop_type": "string"},
    "Writecache/Options/AutocommitBlocks": {"info": "when the application writes this amount of blocks without issuing the FLUSH request, the blocks are automatically committed", "prop_type": "long", "dflt": "64 for pmem, 65536 for ssd"},
    "Writecache/Options/AutocommitTime": {"info": "autocommit time in milliseconds. The data is automatically committed if this time passes and no FLUSH request is received", "prop_type": "long", "dflt": "1000"},
    "Writecache/Options/Fua": {"info": "\"On\" results in \"fua\" as argument, whereas the value \"Off\" results in \"nofua\" argument", "prop_type": "regex", "value": "(?:Off|On)", "dflt": "On"},
    "Writecache/Options/HighWatermark": {"info": "start writeback when the number of used blocks reach this watermark", "prop_type": "long", "dflt": "50"},
    "Writecache/Options/LowWatermark": {"info": "stop writeback when the number of used blocks drops below this watermark", "prop_type": "long", "dflt": "45"},
    "Writecache/Options/StartSector": {"info": "offset from the start of cache device in 512-byte sectors", "prop_type": "long", "dflt": "0"},
    "Writecache/Options/WritebackJobs": {"info": "limit the number of blocks that are in flight during writeback. Setting this value reduces writeback throughput, but it may improve latency of read requests", "prop_type": "long", "dflt": "unlimited"},
    "Writecache/PoolName": {"info": "Linstor storage pool name for writecache", "prop_type": "regex", "value": "^[a-zA-Z0-9_][a-zA-Z0-9_-]{2,47}$"},
    "Writecache/Size": {"info": "Size of the writecache in % (0-100) or KiB otherwise", "prop_type": "regex", "value": "^100%|[0-9]{1,2}([.][0-9]*)?%|[1-9][0-9]{2,}$"},
    "sys/fs/blkio_throttle_read": {"info": "Sets the /sys/fs/cgroup/blkio/blkio.throttle.read_bps_device", "prop_type": "long"},
    "sys/fs/blkio_throttle_read_iops": {"info": "Sets the /sys/fs/cgroup/blkio/blkio.throttle.read_iops_device", "prop_type": "long"},
    "sys/fs/blkio_throttle_write": {"info": "Sets the /sys/fs/cgroup/blkio/blkio.throttle.write_bps_device", "prop_type": "long"},
    "sys/fs/blkio_throttle_write_iops": {"info": "Sets the /sys/fs/cgroup/blkio/blkio.throttle.write_iops_device", "prop_type": "long"},
    # -- from drbdsetup.xml (13 keys)
    "DrbdOptions/Disk/al-extents": {"prop_type": "range", "value": "(67 - 65534)", "dflt": "1237"},
    "DrbdOptions/Disk/al-updates": {"prop_type": "boolean", "value": "(?i)(?:yes|no)", "dflt": "True"},
    "DrbdOptions/Disk/disable-write-same": {"prop_type": "boolean", "value": "(?i)(?:yes|no)", "dflt": "False"},
    "DrbdOptions/Disk/discard-zeroes-if-aligned": {"prop_type": "boolean", "value": "(?i)(?:yes|no)", "dflt": "True"},
    "DrbdOptions/Disk/disk-barrier": {"prop_type": "boolean", "value": "(?i)(?:yes|no)", "dflt": "False"},
    "DrbdOptions/Disk/disk-drain": {"prop_type": "boolean", "value": "(?i)(?:yes|no)", "dflt": "True"},
    "DrbdOptions/Disk/disk-flushes": {"prop_type": "boolean", "value": "(?i)(?:yes|no)", "dflt": "True"},
    "DrbdOptions/Disk/disk-timeout": {"prop_type": "range", "value": "(0 - 6000)", "dflt": "0", "unit": "1/10 seconds"},
    "DrbdOptions/Disk/md-flushes": {"prop_type": "boolean", "value": "(?i)(?:yes|no)", "dflt": "True"},
    "DrbdOptions/Disk/on-io-error": {"prop_type": "regex", "value": "(?:call-local-io-error|detach|pass_on)"},
    "DrbdOptions/Disk/read-balancing": {"prop_type": "regex", "value": "(?:128K-striping|1M-striping|256K-striping|32K-striping|512K-striping|64K-striping|least-pending|prefer-local|prefer-remote|round-robin|when-congested-remote)"},
    "DrbdOptions/Disk/resync-after": {"prop_type": "string"},
    "DrbdOptions/Disk/rs-discard-granularity": {"prop_type": "range", "value": "(0 - 1048576)", "dflt": "0", "unit": "bytes"},
}


RESOURCE_DEFINITION: dict[str, dict[str, str]] = {
    # resource definitions and resource groups (LinStorObject.RESOURCE_DEFINITION)
    **_DEFINITION_RULES,
    # -- from properties.json (26 keys)
    "AllowMixingStoragePoolDriver": {"info": "Allow mixing storage pool drivers for migration purpose", "prop_type": "boolean_true_false", "value": "(?i)(?:true|false|yes|no)", "dflt": "false"},
    "AutoSnapshot/Keep": {"info": "Keeps the last X auto-snapshots. Removing this property or having a value <= 0 disables auto-cleanup, all auto-snapshots will be kept", "prop_type": "long", "dflt": "10"},
    "AutoSnapshot/NextAutoId": {"info": "The next ID to try for auto-snapshots", "prop_type": "long"},
    "AutoSnapshot/RunEvery": {"info": "Runs every X minutes an snapshot-creation. Removing this property or having a value <= 0 disables auto-snapshotting.", "prop_type": "long"},
    "BackupShipping/AllowForceRestore": {"info": "If true, an existing resource can be deleted in order to restore a received backup", "prop_type": "string", "dflt": "false"},
    "BackupShipping/L2LReceiveStartedTimeout": {"info": "How long the target-cluster waits for an incoming connection before it aborts in ms. -1 to wait indefinitely.", "prop_type": "long", "dflt": "300000"},
    "BalanceResourcesEnabled": {"info": "If set to false it will disable the balance resource task", "prop_type": "boolean_true_false", "value": "(?i)(?:true|false|yes|no)", "dflt": "true"},
    "DrbdOptions/AutoEvictMinReplicaCount": {"info": "The minimum amount of replicas that should be present for a resource at all times.", "prop_type": "long", "dflt": "The place count set for the resource group"},
    "DrbdOptions/ExactSize": {"info": "Adds a 'size' property into the .res file containing the exact size defined in the volume-definition", "prop_type": "boolean_true_false", "value": "(?i)(?:true|false|yes|no)"},
    "DrbdOptions/ForceInitialSync": {"info": "Forces any thin volumes to do the initial sync. Any resources created while this is true will behave so permanently.", "prop_type": "boolean_true_false", "value": "(?i)(?:true|false|yes|no)", "dflt": "false"},
    "DrbdOptions/SkipDisk": {"info": "Appends '--skip-disk' to 'drbdadm adjust' commands. Is automatically set if a disk failure is detected. In order to disable, remove this property", "prop_type": "regex", "value": "(?:True)"},
    "DrbdOptions/auto-add-quorum-tiebreaker": {"info": "Enables automatic management (creation and deletion) of tie breaking resource", "prop_type": "boolean_true_false", "value": "(?i)(?:true|false|yes|no)"},
    "DrbdOptions/auto-diskful": {"info": "Makes a resource diskful if it was continuously diskless primary for X minutes", "prop_type": "long"},
    "DrbdOptions/auto-diskful-allow-cleanup": {"info": "Allows this resource to be cleaned up after toggle-disk + resync is finished", "prop_type": "boolean_true_false", "value": "(?i)(?:true|false|yes|no)"},
    "DrbdOptions/auto-quorum": {"info": "Enables automatic setting of the 'quorum' and 'on-no-quorum' property", "prop_type": "regex", "value": "(?:disabled|io-error|suspend-io)"},
    "DrbdOptions/auto-verify-algo-disable": {"info": "If set to true it will disable automatic setting of DRBD verify algorithm", "prop_type": "boolean_true_false", "value": "(?i)(?:true|false|yes|no)"},
    "DrbdProxy/CompressionType": {"prop_type": "regex", "value": "(?:lz4|lzma|zlib|zstd)"},
    "NVMe/Port": {"info": "NVMe port", "prop_type": "range", "value": "(1 - 65535)"},
    "NVMe/TRType": {"info": "NVMe transportation type", "prop_type": "regex", "value": "(?:rdma|tcp)", "dflt": "rdma"},
    "PeerSlotsNewResource": {"info": "DRBD peer slots to allocate for newly created resources (default 7), the number of peer slots cannot be changed once the resource is created, so allow sufficient slots to increase redundancy in the future", "prop_type": "range", "value": "(1 - 31)"},
    "PrefNic": {"info": "Preferred network interface to use", "prop_type": "regex", "value": "^[a-zA-Z0-9_][a-zA-Z0-9_-]{2,47}$"},
    "SnapshotShipping/Keep": {"info": "Keeps the last X shipped snapshots. Removing this property or having a value <= 0 disables auto-cleanup, all auto-snapshots will be kept", "prop_type": "long", "dflt": "10"},
    "SnapshotShipping/RunEvery": {"info": "Runs every X minutes an auto-snapshot-shipping unless the current snapshot-shipping is still running. In this case a new one will be started asap.", "prop_type": "long"},
    "SnapshotShipping/SourceNode": {"info": "Node name of the snapshot shipping source", "prop_type": "string"},
    "SnapshotShipping/TargetNode": {"info": "Node name of the snapshot shipping target", "prop_type": "string"},
    "UseZFSClone": {"info": "if true: Zfs clone will use snapshot clone, instead of send/receive", "prop_type": "boolean_true_false", "value": "(?i)(?:true|false|yes|no)", "dflt": "false"},
    # -- from drbdsetup.xml (71 keys)
    "DrbdOptions/Handlers/after-resync-target": {"prop_type": "string"},
    "DrbdOptions/Handlers/before-resync-source": {"prop_type": "string"},
    "DrbdOptions/Handlers/before-resync-target": {"prop_type": "string"},
    "DrbdOptions/Handlers/fence-peer": {"prop_type": "string"},
    "DrbdOptions/Handlers/initial-split-brain": {"prop_type": "string"},
    "DrbdOptions/Handlers/local-io-error": {"prop_type": "string"},
    "DrbdOptions/Handlers/out-of-sync": {"prop_type": "string"},
    "DrbdOptions/Handlers/pri-lost": {"prop_type": "string"},
    "DrbdOptions/Handlers/pri-lost-after-sb": {"prop_type": "string"},
    "DrbdOptions/Handlers/pri-on-incon-degr": {"prop_type": "string"},
    "DrbdOptions/Handlers/quorum-lost": {"prop_type": "string"},
    "DrbdOptions/Handlers/split-brain": {"prop_type": "string"},
    "DrbdOptions/Handlers/unfence-peer": {"prop_type": "string"},
    "DrbdOptions/Net/after-sb-0pri": {"prop_type": "regex", "value": "(?:discard-least-changes|discard-local|discard-older-primary|discard-remote|discard-younger-primary|discard-zero-changes|disconnect)"},
    "DrbdOptions/Net/after-sb-1pri": {"prop_type": "regex", "value": "(?:call-pri-lost-after-sb|consensus|discard-secondary|disconnect|violently-as0p)"},
    "DrbdOptions/Net/after-sb-2pri": {"prop_type": "regex", "value": "(?:call-pri-lost-after-sb|disconnect|violently-as0p)"},
    "DrbdOptions/Net/allow-remote-read": {"prop_type": "boolean", "value": "(?i)(?:yes|no)", "dflt": "True"},
    "DrbdOptions/Net/allow-two-primaries": {"prop_type": "boolean", "value": "(?i)(?:yes|no)", "dflt": "False"},
    "DrbdOptions/Net/always-asbp": {"prop_type": "boolean", "value": "(?i)(?:yes|no)", "dflt": "False"},
    "DrbdOptions/Net/congestion-extents": {"prop_type": "range", "value": "(67 - 65534)", "dflt": "1237"},
    "DrbdOptions/Net/congestion-fill": {"prop_type": "range", "value": "(0 - 20971520)", "dflt": "0", "unit": "bytes"},
    "DrbdOptions/Net/connect-int": {"prop_type": "range", "value": "(1 - 120)", "dflt": "10", "unit": "seconds"},
    "DrbdOptions/Net/cram-hmac-alg": {"prop_type": "string"},
    "DrbdOptions/Net/csums-after-crash-only": {"prop_type": "boolean", "value": "(?i)(?:yes|no)", "dflt": "False"},
    "DrbdOptions/Net/csums-alg": {"prop_type": "string"},
    "DrbdOptions/Net/data-integrity-alg": {"prop_type": "string"},
    "DrbdOptions/Net/fencing": {"prop_type": "regex", "value": "(?:dont-care|resource-and-stonith|resource-only)"},
    "DrbdOptions/Net/ko-count": {"prop_type": "range", "value": "(0 - 200)", "dflt": "7"},
    "DrbdOptions/Net/load-balance-paths": {"prop_type": "boolean", "value": "(?i)(?:yes|no)", "dflt": "False"},
    "DrbdOptions/Net/max-buffers": {"prop_type": "range", "value": "(32 - 131072)", "dflt": "2048"},
    "DrbdOptions/Net/max-epoch-size": {"prop_type": "range", "value": "(1 - 20000)", "dflt": "2048"},
    "DrbdOptions/Net/on-congestion": {"prop_type": "regex", "value": "(?:block|disconnect|pull-ahead)"},
    "DrbdOptions/Net/ping-int": {"prop_type": "range", "value": "(1 - 120)", "dflt": "10", "unit": "seconds"},
    "DrbdOptions/Net/ping-timeout": {"prop_type": "range", "value": "(1 - 300)", "dflt": "5", "unit": "1/10 seconds"},
    "DrbdOptions/Net/protocol": {"prop_type": "regex", "value": "(?:A|B|C)"},
    "DrbdOptions/Net/rcvbuf-size": {"prop_type": "range", "value": "(0 - 10485760)", "dflt": "0", "unit": "bytes"},
    "DrbdOptions/Net/rdma-ctrl-rcvbuf-size": {"prop_type": "range", "value": "(0 - 10485760)", "dflt": "0"},
    "DrbdOptions/Net/rdma-ctrl-sndbuf-size": {"prop_type": "range", "value": "(0 - 10485760)", "dflt": "0"},
    "DrbdOptions/Net/rr-conflict": {"prop_type": "regex", "value": "(?:auto-discard|call-pri-lost|disconnect|retry-connect|violently)"},
    "DrbdOptions/Net/shared-secret": {"prop_type": "string"},
    "DrbdOptions/Net/sndbuf-size": {"prop_type": "range", "value": "(0 - 10485760)", "dflt": "0", "unit": "bytes"},
    "DrbdOptions/Net/socket-check-timeout": {"prop_type": "range", "value": "(0 - 300)", "dflt": "0"},
    "DrbdOptions/Net/tcp-cork": {"prop_type": "boolean", "value": "(?i)(?:yes|no)", "dflt": "True"},
    "DrbdOptions/Net/timeout": {"prop_type": "range", "value": "(1 - 600)", "dflt": "60", "unit": "1/10 seconds"},
    "DrbdOptions/Net/tls": {"prop_type": "boolean", "value": "(?i)(?:yes|no)", "dflt": "False"},
    "DrbdOptions/Net/tls-certificate": {"prop_type": "string"},
    "DrbdOptions/Net/tls-keyring": {"prop_type": "string"},
    "DrbdOptions/Net/tls-privkey": {"prop_type": "string"},
    "DrbdOptions/Net/transport": {"prop_type": "string"},
    "DrbdOptions/Net/use-rle": {"prop_type": "boolean", "value": "(?i)(?:yes|no)", "dflt": "True"},
    "DrbdOptions/Net/verify-alg": {"prop_type": "string"},
    "DrbdOptions/PeerDevice/bitmap": {"prop_type": "boolean", "value": "(?i)(?:yes|no)", "dflt": "True"},
    "DrbdOptions/PeerDevice/c-delay-target": {"prop_type": "range", "value": "(1 - 100)", "dflt": "10", "unit": "1/10 seconds"},
    "DrbdOptions/PeerDevice/c-fill-target": {"prop_type": "range", "value": "(0 - 1048576)", "dflt": "100", "unit": "bytes"},
    "DrbdOptions/PeerDevice/c-max-rate": {"prop_type": "range", "value": "(0 - 4194304)", "dflt": "102400", "unit": "bytes/second"},
    "DrbdOptions/PeerDevice/c-min-rate": {"prop_type": "range", "value": "(0 - 4194304)", "dflt": "250", "unit": "bytes/second"},
    "DrbdOptions/PeerDevice/c-plan-ahead": {"prop_type": "range", "value": "(0 - 300)", "dflt": "20", "unit": "1/10 seconds"},
    "DrbdOptions/PeerDevice/resync-rate": {"prop_type": "range", "value": "(1 - 8388608)", "dflt": "250", "unit": "bytes/second"},
    "DrbdOptions/Resource/auto-promote": {"prop_type": "boolean", "value": "(?i)(?:yes|no)", "dflt": "True"},
    "DrbdOptions/Resource/auto-promote-timeout": {"prop_type": "range", "value": "(0 - 600)", "dflt": "20", "unit": "1/10 seconds"},
    "DrbdOptions/Resource/cpu-mask": {"prop_type": "string"},
    "DrbdOptions/Resource/max-io-depth": {"prop_type": "range", "value": "(4 - 4294967295)", "dflt": "8000"},
    "DrbdOptions/Resource/on-no-data-accessible": {"prop_type": "regex", "value": "(?:io-error|suspend-io)"},
    "DrbdOptions/Resource/on-no-quorum": {"prop_type": "regex", "value": "(?:io-error|suspend-io)"},
    "DrbdOptions/Resource/on-suspended-primary-outdated": {"prop_type": "regex", "value": "(?:disconnect|force-secondary)"},
    "DrbdOptions/Resource/peer-ack-delay": {"prop_type": "range", "value": "(1 - 10000)", "dflt": "100", "unit": "milliseconds"},
    "DrbdOptions/Resource/peer-ack-window": {"prop_type": "range", "value": "(2048 - 204800)", "dflt": "4096", "unit": "bytes"},
    "DrbdOptions/Resource/quorum": {"prop_type": "numeric_or_symbol", "value": "(1 - 32) or (?:all|majority|off)"},
    "DrbdOptions/Resource/quorum-minimum-redundancy": {"prop_type": "numeric_or_symbol", "value": "(1 - 32) or (?:all|majority|off)"},
    "DrbdOptions/Resource/twopc-retry-timeout": {"prop_type": "range", "value": "(1 - 50)", "dflt": "1", "unit": "1/10 seconds"},
    "DrbdOptions/Resource/twopc-timeout": {"prop_type": "range", "value": "(50 - 600)", "dflt": "300", "unit": "1/10 seconds"},
}


VOLUME_DEFINITION: dict[str, dict[str, str]] = {
    # volume definitions and volume groups (LinStorObject.VOLUME_DEFINITION)
    **_DEFINITION_RULES,
    # -- from properties.json (3 keys)
    "DrbdCurrentGi": {"info": "Initial DRBD generation id, if initial sync is skipped, this ID will be set", "prop_type": "regex", "value": "[a-fA-F0-9]{16}"},
    "Encryption/Passphrase": {"info": "External set volume encryption passphrase", "prop_type": "string"},
    "OverrideVlmId": {"info": "Overwrites the generated '<resource-name>_<5 digit volume number>' volume name for migration purposes", "prop_type": "regex", "value": ".*"},
}

