"""Staff (業務従事者名簿): people, their roles, and whether they may still sign in."""
