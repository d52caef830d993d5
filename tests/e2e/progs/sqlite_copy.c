/* SPDX-License-Identifier: MIT */
/*
 * sqlite_copy.c - a stand-in for a private copy of SQLite (built twice,
 * with COPY_RESULT 1 and 2): it exports sqlite3_step, and call_step calls
 * it through its own PLT, as a module that bundles SQLite would.
 */
int sqlite3_step(void *stmt)
{
    (void)stmt;
    return COPY_RESULT;
}

int call_step(void *stmt)
{
    return sqlite3_step(stmt);
}
