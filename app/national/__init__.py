"""Synchronisation of dossiers with the national public-service portal (SPEC §11): the outbox
of messages written with every status change, their delivery by the worker, the
administrators' view of the queue, and a stand-in of the national side for demos and tests."""
