//! The use cases that belong to one rulebook (one seed's library) beside the generic
//! engine. The gateway's schedule of a joining site reads `mod-dsg`'s procedure, actions
//! and fields by name; nothing else in the application names any rulebook's. (Whom an
//! incident reporter calls first and the board of open reports are the engine's, for any
//! procedure with a `phone_first` directory.)

pub mod dsg;
