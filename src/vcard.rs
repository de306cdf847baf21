//! vCard 3.0 and 4.0 writing.
