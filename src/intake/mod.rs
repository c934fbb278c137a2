//! Ways in. Every source hands bytes to [`crate::pipeline::Pipeline::handle`], which stores
//! them by hash before anything else happens; a source marks an item done (moves a file,
//! moves a mail) only after that.
//!
//! Today: drop folders ([`folder`]). IMAP mailboxes come with their own issue, and with
//! them a `Source` trait (a trait only once there are two implementations).

pub mod folder;
pub mod imap;
