"""The live class: rooms where every student answers on their own screen (``classroom.store``)."""
