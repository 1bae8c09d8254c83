//! One module per screen.
//!
//! Residents: [`file`] (file a report), [`mine`] (my reports and the outbox), [`report`]
//! (one report: timeline, deadline, answer, rating), [`nearby`] (public reports on the map),
//! [`dossiers`] (the dossiers they track), [`transfer`] (moving them to another device). Ward staff: [`staff`] (sign-in and the live
//! inbox), [`staff_report`] (one report and the actions), [`desk`] (the dossier desk). City:
//! [`city`] (the dashboard, with [`dossier_figures`]), and [`transparency`] for the public.
//! The desktop app: [`device`] (the first run and the settings).

pub mod city;
pub mod desk;
pub mod device;
pub mod dossier_figures;
pub mod dossiers;
pub mod file;
pub mod mine;
pub mod nearby;
pub mod report;
pub mod staff;
pub mod staff_report;
pub mod timeline;
pub mod transfer;
pub mod transparency;
