-- reverse: modify "users" table
ALTER TABLE "users" DROP COLUMN "token_version";
