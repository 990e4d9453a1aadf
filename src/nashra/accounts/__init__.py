"""Console operators: who they are (store.users), how they prove it (passwords), how long that
lasts (sessions), and the changes an admin or `nashra users` makes, each written to the audit log
(manage). The CLI and the web console both go through here."""
