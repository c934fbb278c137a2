//! Ways in. Every source hands bytes to [`crate::pipeline::Pipeline::handle`], which stores
//! them by hash before anything else happens; a source marks an item done (moves a file,
//! moves a mail) only after that.
//!
//! Two sources: drop folders ([`folder`], synchronous, one thread per folder) and IMAP
//! mailboxes ([`imap`], async, one task per mailbox with one store thread). Their seam is
//! `Pipeline::handle` plus "mark done only after it returned"; their loops share nothing else
//! (file-system events and stability checks vs IDLE, UIDs and moves), so there is no common
//! trait yet: a third source that fits one of the two shapes is where one would earn its keep.

pub mod folder;
pub mod imap;
