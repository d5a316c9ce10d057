//! Portable schema migrations (the same definitions produce SQLite and PostgreSQL DDL).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

/// All migrations, in order.
pub struct Migrator;

#[sea_orm_migration::async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![Box::new(M0001Foundation)]
    }
}

/// Tables in dependency order; backups write and restores read them in this order.
pub const TABLES: [&str; 6] = [
    "legal_entities",
    "users",
    "api_tokens",
    "sessions",
    "audit_events",
    "login_attempts",
];

#[derive(DeriveIden)]
enum LegalEntities {
    Table,
    Id,
    Finess,
    Name,
    RegionCode,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Email,
    DisplayName,
    PasswordHash,
    Role,
    RegionCode,
    EjFiness,
    Active,
    Version,
    CreatedAt,
    UpdatedAt,
    LastLoginAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Id,
    Data,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
    UserId,
    Name,
    TokenHash,
    Prefix,
    CreatedAt,
    LastUsedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum AuditEvents {
    Table,
    Id,
    At,
    ActorUserId,
    ActorLabel,
    Action,
    EntityType,
    EntityId,
    RegionCode,
    EjFiness,
    BeforeJson,
    AfterJson,
}

#[derive(DeriveIden)]
enum LoginAttempts {
    Table,
    Id,
    Email,
    Ip,
    At,
    Success,
}

/// Accounts, sessions, tokens, audit trail, sign-in throttling and the minimal legal entity
/// table that account scoping needs.
struct M0001Foundation;

impl MigrationName for M0001Foundation {
    fn name(&self) -> &str {
        "m0001_foundation"
    }
}

#[sea_orm_migration::async_trait::async_trait]
impl MigrationTrait for M0001Foundation {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(LegalEntities::Table)
                .col(big_pk_auto(LegalEntities::Id))
                .col(string_len_uniq(LegalEntities::Finess, 9))
                .col(string(LegalEntities::Name))
                .col(string_len(LegalEntities::RegionCode, 2))
                .col(big_integer(LegalEntities::Version))
                .col(timestamp_with_time_zone(LegalEntities::CreatedAt))
                .col(timestamp_with_time_zone(LegalEntities::UpdatedAt))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Users::Table)
                .col(big_pk_auto(Users::Id))
                .col(string_uniq(Users::Email))
                .col(string(Users::DisplayName))
                .col(string(Users::PasswordHash))
                .col(string(Users::Role))
                .col(string_len_null(Users::RegionCode, 2))
                .col(string_len_null(Users::EjFiness, 9))
                .col(boolean(Users::Active))
                .col(big_integer(Users::Version))
                .col(timestamp_with_time_zone(Users::CreatedAt))
                .col(timestamp_with_time_zone(Users::UpdatedAt))
                .col(timestamp_with_time_zone_null(Users::LastLoginAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(Users::Table, Users::EjFiness)
                        .to(LegalEntities::Table, LegalEntities::Finess),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_users_region")
                .table(Users::Table)
                .col(Users::RegionCode)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(Sessions::Table)
                .col(string(Sessions::Id).primary_key())
                .col(text(Sessions::Data))
                .col(big_integer(Sessions::ExpiresAt))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_sessions_expiry")
                .table(Sessions::Table)
                .col(Sessions::ExpiresAt)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ApiTokens::Table)
                .col(big_pk_auto(ApiTokens::Id))
                .col(big_integer(ApiTokens::UserId))
                .col(string(ApiTokens::Name))
                .col(string_uniq(ApiTokens::TokenHash))
                .col(string(ApiTokens::Prefix))
                .col(timestamp_with_time_zone(ApiTokens::CreatedAt))
                .col(timestamp_with_time_zone_null(ApiTokens::LastUsedAt))
                .col(timestamp_with_time_zone_null(ApiTokens::RevokedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(ApiTokens::Table, ApiTokens::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(AuditEvents::Table)
                .col(big_pk_auto(AuditEvents::Id))
                .col(timestamp_with_time_zone(AuditEvents::At))
                .col(big_integer_null(AuditEvents::ActorUserId))
                .col(string(AuditEvents::ActorLabel))
                .col(string(AuditEvents::Action))
                .col(string(AuditEvents::EntityType))
                .col(string(AuditEvents::EntityId))
                .col(string_len_null(AuditEvents::RegionCode, 2))
                .col(string_len_null(AuditEvents::EjFiness, 9))
                .col(text_null(AuditEvents::BeforeJson))
                .col(text_null(AuditEvents::AfterJson))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_audit_entity")
                .table(AuditEvents::Table)
                .col(AuditEvents::EntityType)
                .col(AuditEvents::EntityId)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_audit_at")
                .table(AuditEvents::Table)
                .col(AuditEvents::At)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(LoginAttempts::Table)
                .col(big_pk_auto(LoginAttempts::Id))
                .col(string(LoginAttempts::Email))
                .col(string(LoginAttempts::Ip))
                .col(timestamp_with_time_zone(LoginAttempts::At))
                .col(boolean(LoginAttempts::Success))
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_login_attempts_email_at")
                .table(LoginAttempts::Table)
                .col(LoginAttempts::Email)
                .col(LoginAttempts::At)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ix_login_attempts_ip_at")
                .table(LoginAttempts::Table)
                .col(LoginAttempts::Ip)
                .col(LoginAttempts::At)
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for table in TABLES.iter().rev() {
            m.drop_table(Table::drop().table(Alias::new(*table)).to_owned())
                .await?;
        }
        Ok(())
    }
}
