//! The integration suite again, on PostgreSQL: the same modules as `tests/api`, whose
//! servers each run on a fresh database of one throw-away cluster (or of the server at
//! `ORGREG_TEST_POSTGRES`); `support::engine` tells the two binaries apart. Without
//! PostgreSQL the binary prints one skip line and passes, unless
//! `ORGREG_REQUIRE_POSTGRES=1`.

include!("../api/suite.rs");
