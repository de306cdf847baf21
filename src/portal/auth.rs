//! Who the user is: consumer JWTs and host-signed p_auth tokens.
