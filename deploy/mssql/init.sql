-- Prepares the SQL Server database before `migrate` runs (compose service `mssql-init`, sqlcmd -b: any error fails it).
-- Idempotent, so it runs on every `docker compose up`. $(DatabaseName) is a sqlcmd variable (-v DatabaseName=...).

IF DB_ID(N'$(DatabaseName)') IS NULL
    CREATE DATABASE [$(DatabaseName)];
GO

-- Read committed snapshot isolation (RCSI). The API reads without a transaction and writes in short transactions
-- guarded by a version column. Under SQL Server's default locking READ COMMITTED, those reads wait for (and can
-- deadlock with) writers' locks; with RCSI they read the last committed row version instead, which is what
-- PostgreSQL and SQLite in WAL mode do anyway. Optimistic updates (UPDATE ... WHERE version = @expected) still take
-- update locks on the current row, so no lost update is possible. Needs a moment of exclusive access, hence
-- ROLLBACK IMMEDIATE; it is a no-op once set. Azure SQL Database has it on by default.
IF EXISTS (SELECT 1 FROM sys.databases WHERE name = N'$(DatabaseName)' AND is_read_committed_snapshot_on = 0)
    ALTER DATABASE [$(DatabaseName)] SET READ_COMMITTED_SNAPSHOT ON WITH ROLLBACK IMMEDIATE;
GO
