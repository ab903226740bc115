"""The competition's soccer tasks: observation layout, action mapping, official and MJX environments."""
