-- Restores a backup made by backup.sql as a NEW database (never over the live one), checks it, and leaves it ready for
-- `migrate` and the API:
--   sqlcmd -b -S <server> -U <login> -v BackupFile=/var/opt/mssql/backup/referralnetwork-20261201T0215Z.bak \
--     TargetName=ReferralNetwork_restored DataDir=/var/opt/mssql/data DataName=ReferralNetwork LogName=ReferralNetwork_log \
--     -i deploy/mssql/restore.sql
-- DataName/LogName are the logical file names inside the backup: the first result of RESTORE FILELISTONLY below
-- shows them (a database made by mssql/init.sql has ReferralNetwork and ReferralNetwork_log). With log backups, restore
-- the full one WITH NORECOVERY instead, then each log: RESTORE LOG [...] FROM DISK = N'...trn' WITH CHECKSUM,
-- NORECOVERY, STOPAT = '2026-12-01T10:00:00' on the last, then RESTORE DATABASE [...] WITH RECOVERY.
-- Afterwards point ConnectionStrings__ReferralNetwork at the new database and run
--   dotnet ReferralNetwork.Api.dll verify-backup --checkpoint N --root HEX      (the anchor an auditor kept)
-- before the API serves it (README, "Backups and restore").

:on error exit

IF DB_ID(N'$(TargetName)') IS NOT NULL
    THROW 50001, N'The target database exists already: restore.sql never overwrites a database. Choose another TargetName.', 1;
GO

RESTORE VERIFYONLY FROM DISK = N'$(BackupFile)' WITH CHECKSUM;
RESTORE FILELISTONLY FROM DISK = N'$(BackupFile)';
GO

RESTORE DATABASE [$(TargetName)] FROM DISK = N'$(BackupFile)'
    WITH CHECKSUM, RECOVERY, STATS = 25,
         MOVE N'$(DataName)' TO N'$(DataDir)/$(TargetName).mdf',
         MOVE N'$(LogName)' TO N'$(DataDir)/$(TargetName)_log.ldf';
GO

-- Pages, allocation and indexes of the copy; then the setting the API needs (kept in the backup, set again to be sure).
DBCC CHECKDB (N'$(TargetName)') WITH NO_INFOMSGS, ALL_ERRORMSGS;
IF EXISTS (SELECT 1 FROM sys.databases WHERE name = N'$(TargetName)' AND is_read_committed_snapshot_on = 0)
    ALTER DATABASE [$(TargetName)] SET READ_COMMITTED_SNAPSHOT ON WITH ROLLBACK IMMEDIATE;
GO
