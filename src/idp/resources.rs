//! The API resources (RFC 8707) the provider issues access tokens for, shaped like Logto's
//! `/api/resources`: `{tenantId, id, name, indicator, isDefault, accessTokenTtl, scopes, createdAt}`
//! with scopes `{tenantId, id, resourceId, name, description, createdAt}` (times in Unix
//! milliseconds, `accessTokenTtl` in seconds, default 3600).
//!
//! - The Management API (`id` `management-api`, its indicator and scope `all`, given by the
//!   provider) is built in: always present, neither editable nor deletable.
//! - Others come from `PROVIDER_API_RESOURCES` (added on start when their indicator is not yet
//!   registered; a stored resource is not changed by later edits of the file) and from the
//!   Management API.
//! - Everything is one store document (`api_resources`), read by [`ApiResources::snapshot`] and
//!   changed only by [`ApiResources::modify`] (load → change → save, in one place).
//! - A `resource` parameter names a resource by its `indicator`; anything unregistered is
//!   `invalid_target` at `/oidc/auth` and `/oidc/token`.

use crate::clock::SharedClock;
use crate::idp::store::{SharedStore, Store, StoreError};
use rand::rngs::OsRng;
use rand::Rng;
use serde::{Deserialize, Serialize};
use std::path::Path;
use url::Url;

const DOCUMENT: &str = "api_resources";
/// Logto's default lifetime of an access token for an API resource, in seconds.
pub const DEFAULT_ACCESS_TOKEN_TTL: u64 = 3600;
/// The built-in Management API resource's id (Logto's).
pub const MANAGEMENT_API_ID: &str = "management-api";
const MANAGEMENT_API_NAME: &str = "Logto Management API";
const MANAGEMENT_SCOPE_ID: &str = "management-api-all";
const MANAGEMENT_SCOPE_DESCRIPTION: &str =
    "Default scope for Management API, allows all permissions.";
const TENANT: &str = "default";
/// Logto's column limits.
const MAX_NAME: usize = 256;
/// Small enough that `now + ttl` stays a plausible time (about 68 years).
const MAX_TTL: u64 = 2_147_483_647;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiResource {
    pub tenant_id: String,
    pub id: String,
    pub name: String,
    /// The `resource` value that names it (an absolute URI without a fragment).
    pub indicator: String,
    pub is_default: bool,
    /// Lifetime of its JWT access tokens, in seconds.
    pub access_token_ttl: u64,
    pub scopes: Vec<ResourceScope>,
    /// Unix milliseconds.
    pub created_at: i64,
}

impl ApiResource {
    /// Whether the resource defines the scope `name`.
    pub fn has_scope(&self, name: &str) -> bool {
        self.scopes.iter().any(|scope| scope.name == name)
    }

    pub fn is_builtin(&self) -> bool {
        self.id == MANAGEMENT_API_ID
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceScope {
    pub tenant_id: String,
    pub id: String,
    pub resource_id: String,
    pub name: String,
    pub description: Option<String>,
    /// Unix milliseconds.
    pub created_at: i64,
}

/// A resource to create (`POST /api/resources`, or one entry of the configuration file).
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewResource {
    pub name: String,
    pub indicator: String,
    #[serde(default)]
    pub access_token_ttl: Option<u64>,
    /// Only read from the configuration file; the Management API adds scopes one by one.
    #[serde(default, skip)]
    pub scopes: Vec<NewScope>,
}

/// `PATCH /api/resources/:id`: the fields to change.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourcePatch {
    pub name: Option<String>,
    pub access_token_ttl: Option<u64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NewScope {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
}

/// `PATCH /api/resources/:id/scopes/:scopeId`: the fields to change (`description: null`
/// clears it).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScopePatch {
    pub name: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub description: Option<Option<String>>,
}

/// Tells an explicit `null` (`Some(None)`) from an absent field (`None`).
fn present<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(deserializer).map(Some)
}

/// One entry of the `PROVIDER_API_RESOURCES` file.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SeedEntry {
    name: String,
    indicator: String,
    #[serde(default)]
    access_token_ttl: Option<u64>,
    #[serde(default)]
    scopes: Vec<SeedScope>,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
struct SeedScope {
    name: String,
    #[serde(default)]
    description: Option<String>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ResourceError {
    /// `entity` is `resource` or `scope`.
    #[error("The {entity} with ID `{id}` does not exist.")]
    NotFound { entity: &'static str, id: String },
    #[error("The API identifier {0} is already in use")]
    IndicatorInUse(String),
    #[error("The scope name {0} is already in use")]
    ScopeNameInUse(String),
    #[error("The name of the scope cannot contain any spaces.")]
    ScopeNameWithSpace,
    #[error("Cannot delete Logto management API.")]
    CannotDeleteManagementApi,
    #[error("Cannot modify Logto management API.")]
    CannotModifyManagementApi,
    /// A field has the wrong value; the text names it.
    #[error("{0}")]
    Invalid(String),
    #[error("provider storage: {0}")]
    Store(String),
    #[error("the stored API resources are unreadable: {0}")]
    Corrupt(String),
}

impl From<StoreError> for ResourceError {
    fn from(error: StoreError) -> Self {
        ResourceError::Store(error.to_string())
    }
}

/// A snapshot of every registered resource, the built-in one first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResourceRegistry {
    resources: Vec<ApiResource>,
}

impl ResourceRegistry {
    pub fn all(&self) -> &[ApiResource] {
        &self.resources
    }

    pub fn get(&self, id: &str) -> Result<&ApiResource, ResourceError> {
        self.resources
            .iter()
            .find(|resource| resource.id == id)
            .ok_or_else(|| not_found("resource", id))
    }

    /// The resource a `resource` parameter names (exact match of the indicator).
    pub fn by_indicator(&self, indicator: &str) -> Option<&ApiResource> {
        self.resources
            .iter()
            .find(|resource| resource.indicator == indicator)
    }

    fn get_mut(&mut self, id: &str) -> Result<&mut ApiResource, ResourceError> {
        self.resources
            .iter_mut()
            .find(|resource| resource.id == id)
            .ok_or_else(|| not_found("resource", id))
    }

    /// A resource that may be changed: it exists and is not the built-in one.
    fn editable(&mut self, id: &str) -> Result<&mut ApiResource, ResourceError> {
        let resource = self.get_mut(id)?;
        if resource.is_builtin() {
            return Err(ResourceError::CannotModifyManagementApi);
        }
        Ok(resource)
    }

    /// Registers a resource with its scopes (422 when the indicator is taken).
    pub fn create(&mut self, new: NewResource, now_ms: i64) -> Result<ApiResource, ResourceError> {
        let name = check_name(&new.name)?;
        let indicator = check_indicator(&new.indicator)?;
        let access_token_ttl = check_ttl(new.access_token_ttl.unwrap_or(DEFAULT_ACCESS_TOKEN_TTL))?;
        if self.by_indicator(&indicator).is_some() {
            return Err(ResourceError::IndicatorInUse(indicator));
        }
        let mut resource = ApiResource {
            tenant_id: TENANT.to_owned(),
            id: standard_id(),
            name,
            indicator,
            is_default: false,
            access_token_ttl,
            scopes: Vec::new(),
            created_at: now_ms,
        };
        for scope in new.scopes {
            add_scope_to(&mut resource, scope, now_ms)?;
        }
        self.resources.push(resource.clone());
        Ok(resource)
    }

    pub fn update(&mut self, id: &str, patch: ResourcePatch) -> Result<ApiResource, ResourceError> {
        let name = patch.name.map(|name| check_name(&name)).transpose()?;
        let ttl = patch.access_token_ttl.map(check_ttl).transpose()?;
        let resource = self.editable(id)?;
        if let Some(name) = name {
            resource.name = name;
        }
        if let Some(ttl) = ttl {
            resource.access_token_ttl = ttl;
        }
        Ok(resource.clone())
    }

    pub fn delete(&mut self, id: &str) -> Result<(), ResourceError> {
        if self.get(id)?.is_builtin() {
            return Err(ResourceError::CannotDeleteManagementApi);
        }
        self.resources.retain(|resource| resource.id != id);
        Ok(())
    }

    pub fn add_scope(
        &mut self,
        resource_id: &str,
        new: NewScope,
        now_ms: i64,
    ) -> Result<ResourceScope, ResourceError> {
        add_scope_to(self.editable(resource_id)?, new, now_ms)
    }

    pub fn update_scope(
        &mut self,
        resource_id: &str,
        scope_id: &str,
        patch: ScopePatch,
    ) -> Result<ResourceScope, ResourceError> {
        let resource = self.editable(resource_id)?;
        if let Some(name) = &patch.name {
            let name = check_scope_name(name)?;
            if resource
                .scopes
                .iter()
                .any(|scope| scope.name == name && scope.id != scope_id)
            {
                return Err(ResourceError::ScopeNameInUse(name));
            }
        }
        let scope = resource
            .scopes
            .iter_mut()
            .find(|scope| scope.id == scope_id)
            .ok_or_else(|| not_found("scope", scope_id))?;
        if let Some(name) = patch.name {
            scope.name = name;
        }
        if let Some(description) = patch.description {
            scope.description = description;
        }
        Ok(scope.clone())
    }

    pub fn delete_scope(&mut self, resource_id: &str, scope_id: &str) -> Result<(), ResourceError> {
        let resource = self.editable(resource_id)?;
        let before = resource.scopes.len();
        resource.scopes.retain(|scope| scope.id != scope_id);
        if resource.scopes.len() == before {
            return Err(not_found("scope", scope_id));
        }
        Ok(())
    }

    /// Puts `builtin` first unless a resource with its id is stored.
    fn with_builtin(mut self, builtin: &ApiResource) -> Self {
        if !self.resources.iter().any(ApiResource::is_builtin) {
            self.resources.insert(0, builtin.clone());
        }
        self
    }
}

fn not_found(entity: &'static str, id: &str) -> ResourceError {
    ResourceError::NotFound {
        entity,
        id: id.to_owned(),
    }
}

fn add_scope_to(
    resource: &mut ApiResource,
    new: NewScope,
    now_ms: i64,
) -> Result<ResourceScope, ResourceError> {
    let name = check_scope_name(&new.name)?;
    if resource.has_scope(&name) {
        return Err(ResourceError::ScopeNameInUse(name));
    }
    let scope = ResourceScope {
        tenant_id: TENANT.to_owned(),
        id: standard_id(),
        resource_id: resource.id.clone(),
        name,
        description: new.description,
        created_at: now_ms,
    };
    resource.scopes.push(scope.clone());
    Ok(scope)
}

fn check_name(name: &str) -> Result<String, ResourceError> {
    if name.trim().is_empty() || name.chars().count() > MAX_NAME {
        return Err(ResourceError::Invalid(format!(
            "`name` must have 1 to {MAX_NAME} characters"
        )));
    }
    Ok(name.to_owned())
}

/// RFC 8707 §2: an absolute URI without a fragment, kept as written.
fn check_indicator(indicator: &str) -> Result<String, ResourceError> {
    match Url::parse(indicator) {
        Ok(url) if url.fragment().is_none() && indicator.chars().count() <= MAX_NAME => {
            Ok(indicator.to_owned())
        }
        _ => Err(ResourceError::Invalid(format!(
            "`indicator` must be an absolute URI without a fragment, got `{indicator}`"
        ))),
    }
}

fn check_ttl(ttl: u64) -> Result<u64, ResourceError> {
    if (1..=MAX_TTL).contains(&ttl) {
        Ok(ttl)
    } else {
        Err(ResourceError::Invalid(
            "`accessTokenTtl` must be a positive number of seconds".to_owned(),
        ))
    }
}

fn check_scope_name(name: &str) -> Result<String, ResourceError> {
    if name.chars().any(char::is_whitespace) {
        return Err(ResourceError::ScopeNameWithSpace);
    }
    if name.is_empty() || name.chars().count() > MAX_NAME {
        return Err(ResourceError::Invalid(format!(
            "a scope `name` must have 1 to {MAX_NAME} characters"
        )));
    }
    Ok(name.to_owned())
}

/// Logto's `generateStandardId`: 21 lower-case letters and digits.
fn standard_id() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    (0..21)
        .map(|_| char::from(ALPHABET[OsRng.gen_range(0..ALPHABET.len())]))
        .collect()
}

/// The built-in Management API resource, with its one scope.
fn management_api(indicator: &str, scope: &str) -> ApiResource {
    ApiResource {
        tenant_id: TENANT.to_owned(),
        id: MANAGEMENT_API_ID.to_owned(),
        name: MANAGEMENT_API_NAME.to_owned(),
        indicator: indicator.to_owned(),
        is_default: false,
        access_token_ttl: DEFAULT_ACCESS_TOKEN_TTL,
        scopes: vec![ResourceScope {
            tenant_id: TENANT.to_owned(),
            id: MANAGEMENT_SCOPE_ID.to_owned(),
            resource_id: MANAGEMENT_API_ID.to_owned(),
            name: scope.to_owned(),
            description: Some(MANAGEMENT_SCOPE_DESCRIPTION.to_owned()),
            created_at: 0,
        }],
        created_at: 0,
    }
}

/// Reads the `PROVIDER_API_RESOURCES` file: a JSON array of `{"name", "indicator",
/// "accessTokenTtl"?, "scopes"?: [{"name", "description"?}]}`. Entries are validated when seeded.
pub fn read_seed_file(path: &Path) -> Result<Vec<NewResource>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|error| format!("cannot read {}: {error}", path.display()))?;
    let entries: Vec<SeedEntry> = serde_json::from_str(&text).map_err(|error| {
        format!(
            "{} is not a valid API resources list: {error}",
            path.display()
        )
    })?;
    Ok(entries
        .into_iter()
        .map(|entry| NewResource {
            name: entry.name,
            indicator: entry.indicator,
            access_token_ttl: entry.access_token_ttl,
            scopes: entry
                .scopes
                .into_iter()
                .map(|scope| NewScope {
                    name: scope.name,
                    description: scope.description,
                })
                .collect(),
        })
        .collect())
}

/// The registry in the store, with its read and its one read-modify-write.
pub struct ApiResources {
    store: SharedStore,
    clock: SharedClock,
    builtin: ApiResource,
    /// Serialises [`ApiResources::modify`] within this process.
    writing: tokio::sync::Mutex<()>,
}

impl ApiResources {
    /// `management_indicator` and `management_scope` describe the built-in Management API.
    pub fn new(
        store: SharedStore,
        clock: SharedClock,
        management_indicator: &str,
        management_scope: &str,
    ) -> Self {
        Self {
            store,
            clock,
            builtin: management_api(management_indicator, management_scope),
            writing: tokio::sync::Mutex::new(()),
        }
    }

    fn now_ms(&self) -> i64 {
        i64::try_from(self.clock.unix_seconds())
            .unwrap_or(i64::MAX)
            .saturating_mul(1000)
    }

    /// Every registered resource as stored now.
    pub async fn snapshot(&self) -> Result<ResourceRegistry, ResourceError> {
        Ok(load(self.store.as_ref())
            .await?
            .unwrap_or_default()
            .with_builtin(&self.builtin))
    }

    /// Applies `change` to the stored registry and stores the result, unless `change` fails
    /// (then nothing is stored). `change` gets the current time in Unix milliseconds.
    pub async fn modify<T>(
        &self,
        change: impl FnOnce(&mut ResourceRegistry, i64) -> Result<T, ResourceError>,
    ) -> Result<T, ResourceError> {
        let _guard = self.writing.lock().await;
        let mut registry = self.snapshot().await?;
        let outcome = change(&mut registry, self.now_ms())?;
        save(self.store.as_ref(), &registry).await?;
        Ok(outcome)
    }

    /// Stores the built-in resource on first start, and each of `configured` whose indicator is
    /// not registered yet. An invalid entry is an error naming it.
    pub async fn seed(&self, configured: &[NewResource]) -> Result<(), ResourceError> {
        self.modify(|registry, now_ms| {
            if let Some(builtin) = registry
                .resources
                .iter_mut()
                .find(|resource| resource.is_builtin() && resource.created_at == 0)
            {
                builtin.created_at = now_ms;
                for scope in &mut builtin.scopes {
                    scope.created_at = now_ms;
                }
            }
            for new in configured {
                if registry.by_indicator(&new.indicator).is_some() {
                    continue;
                }
                registry
                    .create(new.clone(), now_ms)
                    .map_err(|error| match error {
                        ResourceError::Invalid(detail) => ResourceError::Invalid(format!(
                            "API resource `{}`: {detail}",
                            new.indicator
                        )),
                        other => other,
                    })?;
                tracing::info!(indicator = %new.indicator, "API resource registered from the configuration");
            }
            Ok(())
        })
        .await
    }
}

/// The stored registry, if any. With [`save`], the only access to the document.
async fn load(store: &dyn Store) -> Result<Option<ResourceRegistry>, ResourceError> {
    match store.get_document(DOCUMENT).await? {
        None => Ok(None),
        Some(value) => serde_json::from_value(value)
            .map(Some)
            .map_err(|error| ResourceError::Corrupt(error.to_string())),
    }
}

async fn save(store: &dyn Store, registry: &ResourceRegistry) -> Result<(), ResourceError> {
    let value = serde_json::to_value(registry)
        .map_err(|error| ResourceError::Corrupt(error.to_string()))?;
    Ok(store.put_document(DOCUMENT, &value).await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use crate::idp::store::memory::MemoryStore;
    use std::sync::Arc;

    const MANAGEMENT: &str = "https://default.logto.app/api";

    fn registry() -> ResourceRegistry {
        ResourceRegistry::default().with_builtin(&management_api(MANAGEMENT, "all"))
    }

    fn new(indicator: &str) -> NewResource {
        NewResource {
            name: "Orders".to_owned(),
            indicator: indicator.to_owned(),
            access_token_ttl: None,
            scopes: vec![],
        }
    }

    fn scope(name: &str) -> NewScope {
        NewScope {
            name: name.to_owned(),
            description: None,
        }
    }

    #[test]
    fn the_management_api_is_built_in_and_fixed() {
        let mut registry = registry();
        let builtin = registry.by_indicator(MANAGEMENT).unwrap().clone();
        assert_eq!(builtin.id, MANAGEMENT_API_ID);
        assert!(builtin.has_scope("all"));
        assert_eq!(
            registry.delete(MANAGEMENT_API_ID),
            Err(ResourceError::CannotDeleteManagementApi)
        );
        assert_eq!(
            registry.update(MANAGEMENT_API_ID, ResourcePatch::default()),
            Err(ResourceError::CannotModifyManagementApi)
        );
        assert_eq!(
            registry.delete_scope(MANAGEMENT_API_ID, MANAGEMENT_SCOPE_ID),
            Err(ResourceError::CannotModifyManagementApi)
        );
        assert_eq!(
            registry.create(new(MANAGEMENT), 1),
            Err(ResourceError::IndicatorInUse(MANAGEMENT.to_owned()))
        );
    }

    #[test]
    fn resources_get_defaults_and_unique_indicators() {
        let mut registry = registry();
        let created = registry.create(new("https://api.example.com"), 5).unwrap();
        assert_eq!(created.access_token_ttl, DEFAULT_ACCESS_TOKEN_TTL);
        assert_eq!(created.tenant_id, "default");
        assert!(!created.is_default);
        assert_eq!(created.created_at, 5);
        assert_eq!(created.id.len(), 21);
        assert_eq!(
            registry.create(new("https://api.example.com"), 6),
            Err(ResourceError::IndicatorInUse(
                "https://api.example.com".to_owned()
            ))
        );
        for bad in ["not a uri", "/relative", "https://api.example.com/#frag"] {
            assert!(matches!(
                registry.create(new(bad), 1),
                Err(ResourceError::Invalid(_))
            ));
        }
        let mut zero = new("https://zero.example.com");
        zero.access_token_ttl = Some(0);
        assert!(matches!(
            registry.create(zero, 1),
            Err(ResourceError::Invalid(_))
        ));
    }

    #[test]
    fn scopes_have_unique_names_without_spaces() {
        let mut registry = registry();
        let id = registry
            .create(new("https://api.example.com"), 1)
            .unwrap()
            .id;
        let read = registry.add_scope(&id, scope("read"), 2).unwrap();
        assert_eq!(read.resource_id, id);
        assert_eq!(
            registry.add_scope(&id, scope("read"), 3),
            Err(ResourceError::ScopeNameInUse("read".to_owned()))
        );
        assert_eq!(
            registry.add_scope(&id, scope("read all"), 3),
            Err(ResourceError::ScopeNameWithSpace)
        );
        let write = registry.add_scope(&id, scope("write"), 3).unwrap();
        let rename = ScopePatch {
            name: Some("read".to_owned()),
            description: None,
        };
        assert_eq!(
            registry.update_scope(&id, &write.id, rename),
            Err(ResourceError::ScopeNameInUse("read".to_owned()))
        );
        let describe = ScopePatch {
            name: None,
            description: Some(Some("Write orders".to_owned())),
        };
        let updated = registry.update_scope(&id, &write.id, describe).unwrap();
        assert_eq!(updated.description.as_deref(), Some("Write orders"));
        registry.delete_scope(&id, &read.id).unwrap();
        assert!(matches!(
            registry.delete_scope(&id, &read.id),
            Err(ResourceError::NotFound {
                entity: "scope",
                ..
            })
        ));
        assert!(!registry.get(&id).unwrap().has_scope("read"));
    }

    #[tokio::test]
    async fn seeding_stores_the_builtin_and_adds_only_new_indicators() {
        let store = Arc::new(MemoryStore::new());
        let clock = Arc::new(ManualClock::at(1_800_000_000));
        let resources = ApiResources::new(store.clone(), clock, MANAGEMENT, "all");
        let mut configured = new("https://api.example.com");
        configured.scopes = vec![scope("read")];
        resources.seed(&[configured.clone()]).await.unwrap();
        let first = resources.snapshot().await.unwrap();
        assert_eq!(first.all().len(), 2);
        assert_eq!(first.all()[0].created_at, 1_800_000_000_000);
        let api = first.by_indicator("https://api.example.com").unwrap();
        assert!(api.has_scope("read"));
        // A second start with the same file changes nothing.
        configured.name = "Renamed".to_owned();
        resources.seed(&[configured]).await.unwrap();
        assert_eq!(resources.snapshot().await.unwrap(), first);
        // An invalid entry is reported.
        assert!(resources.seed(&[new("nope")]).await.is_err());
    }

    #[tokio::test]
    async fn a_failed_change_stores_nothing() {
        let store = Arc::new(MemoryStore::new());
        let clock = Arc::new(ManualClock::at(1_800_000_000));
        let resources = ApiResources::new(store.clone(), clock, MANAGEMENT, "all");
        resources.seed(&[]).await.unwrap();
        let before = resources.snapshot().await.unwrap();
        let failed = resources
            .modify(|registry, now| {
                registry.create(new("https://api.example.com"), now)?;
                registry.create(new("https://api.example.com"), now)
            })
            .await;
        assert!(failed.is_err());
        assert_eq!(resources.snapshot().await.unwrap(), before);
    }

    #[test]
    fn the_seed_file_format_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("resources.json");
        std::fs::write(
            &path,
            r#"[{"name":"Orders","indicator":"https://api.example.com","accessTokenTtl":600,
                 "scopes":[{"name":"read:orders","description":"Read"}]}]"#,
        )
        .unwrap();
        let seeds = read_seed_file(&path).unwrap();
        assert_eq!(seeds[0].access_token_ttl, Some(600));
        assert_eq!(seeds[0].scopes[0].name, "read:orders");
        std::fs::write(
            &path,
            r#"[{"name":"x","indicator":"https://a.example","ttl":1}]"#,
        )
        .unwrap();
        assert!(read_seed_file(&path).is_err());
    }
}
