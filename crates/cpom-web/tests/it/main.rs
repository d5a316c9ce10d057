//! Integration tests of cpom through real HTTP on real databases (one test binary).

mod access_matrix;
mod backup;
mod calendar;
mod campaigns;
mod catalogues;
mod contracts;
mod documents;
mod evaluation;
mod plans;
mod registry;
mod registry_web;
mod reviews;
mod security;
mod support;
mod territories;
mod users_api;
