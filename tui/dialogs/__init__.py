"""Modal dialogs: errors, confirmations, the mass-deletion guard, the conflicts view."""
