-- A full backup of the ReferralNetwork database that SQL Server checks while writing and reads back afterwards.
--   sqlcmd -b -S <server> -U <login> -v DatabaseName=ReferralNetwork \
--     BackupFile=/var/opt/mssql/backup/referralnetwork-20261201T0215Z.bak -i deploy/mssql/backup.sql
-- (-b: any error fails the run.) The path is on the SQL Server machine. WITH CHECKSUM verifies every page's checksum
-- as it is read (PAGE_VERIFY CHECKSUM is the default) and writes a checksum of the whole backup, so a torn or
-- corrupted page fails the backup instead of being copied; RESTORE VERIFYONLY ... WITH CHECKSUM then reads the file
-- back and checks those checksums. COMPRESSION needs Standard, Enterprise or Developer edition (drop it on Express).
-- For point-in-time restore keep the FULL recovery model and add log backups between full ones, e.g. every 15 minutes:
--   BACKUP LOG [$(DatabaseName)] TO DISK = N'...trn' WITH CHECKSUM, COMPRESSION;
-- Azure SQL Database and Managed Instance back up automatically (restore to a point in time with the portal or
-- `az sql db restore --time`); BACKUP DATABASE TO DISK does not exist there.

:on error exit

BACKUP DATABASE [$(DatabaseName)] TO DISK = N'$(BackupFile)'
    WITH CHECKSUM, COMPRESSION, INIT, FORMAT, NAME = N'ReferralNetwork full backup', STATS = 25;
GO

RESTORE VERIFYONLY FROM DISK = N'$(BackupFile)' WITH CHECKSUM;
GO
