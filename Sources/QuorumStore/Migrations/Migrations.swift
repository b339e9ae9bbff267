/// The namespace every target's migrations live in (`Migrations.foundation001` here, each feature's in its own
/// target). The composition root lists them all, in order, as `Migrations.all`.
public enum Migrations {}
