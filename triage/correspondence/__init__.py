"""Correspondence on a dossier: free messages out, answers back in, the contact directory, reply templates."""
