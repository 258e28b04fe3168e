"""Where records come from and go to: hand-written fixtures, Faker seeding, the shipped
recordings, state documents (export / checked import) and the state file."""
