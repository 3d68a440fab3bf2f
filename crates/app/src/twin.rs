//! The digital twin 数字孪生 of a review: the reviewed building on its site with every
//! finding marked, as one `zhishen.twin/1` GLB (`zhishen_twin`, `docs/twin-glb.md`).
//!
//! A review job builds its twin right after its report, from the same loaded model,
//! site and placement, and stores it as a blob named on the job (`twin_sha256`). The
//! twin is a view of the review, never part of its verdict: a twin that cannot be built
//! is logged and left out, and the review is recorded all the same. A job done before
//! twins existed (or whose twin failed) gets one on first request, rebuilt from the
//! job's stored inputs and its stored report, so the findings are the recorded ones.

use crate::review::{self, CheckRequest, Loaded};
use crate::AppError;
use zhishen_rules::Report;
use zhishen_store::{ReviewStatus, Store};
use zhishen_twin::TwinInput;

/// The blob type of a twin scene.
pub const GLB_TYPE: &str = "model/gltf-binary";

/// A review now and its twin.
#[derive(Debug, Clone)]
pub struct CheckTwin {
    pub report: Report,
    /// The scene as GLB.
    pub glb: Vec<u8>,
    /// What the scene leaves out (elements or features that could not be drawn, a
    /// building drawn without a placement), naming each.
    pub warnings: Vec<String>,
}

/// Reviews one building on one parcel and builds its twin (the CLI's `render`, tests).
pub fn twin_for_check(req: &CheckRequest) -> Result<CheckTwin, AppError> {
    let c = review::checked(req)?;
    let (glb, warnings) = glb_of(&TwinInput {
        model: &c.model,
        placed: c.placed.as_ref().ok(),
        site: &c.site,
        parcel: &req.parcel,
        report: &c.report,
        review: None,
    })
    .map_err(AppError::BadInput)?;
    Ok(CheckTwin {
        report: c.report,
        glb,
        warnings,
    })
}

/// The scene as GLB and its warnings; `Err` says why there is none.
fn glb_of(input: &TwinInput) -> Result<(Vec<u8>, Vec<String>), String> {
    let built = zhishen_twin::build(input).map_err(|e| e.to_string())?;
    let glb = built
        .scene
        .to_glb()
        .map_err(|e| format!("孪生场景无法写出 twin scene not written: {e}"))?;
    Ok((glb, built.warnings))
}

/// A job's twin from its loaded inputs and fresh report, or `None` (logged) when it
/// cannot be built. Blocking.
pub(crate) fn job_twin(job: i64, l: &Loaded, parcel: &str, report: &Report) -> Option<Vec<u8>> {
    let review = job.to_string();
    let input = TwinInput {
        model: &l.model,
        placed: l.placed.as_ref().ok(),
        site: &l.site,
        parcel,
        report,
        review: Some(&review),
    };
    match glb_of(&input) {
        Ok((glb, warnings)) => {
            for w in &warnings {
                tracing::warn!(job, warning = %w, "twin scene");
            }
            Some(glb)
        }
        Err(e) => {
            tracing::warn!(job, error = %e, "twin scene not built; the review stands");
            None
        }
    }
}

/// Stores a job's twin and names it on the job; best effort: a failure is logged and
/// the twin is rebuilt on first request.
pub(crate) async fn store_twin(store: &Store, job: i64, glb: &[u8]) {
    let stored = match store.put_blob(glb, GLB_TYPE).await {
        Ok(sha) => store.set_review_twin(job, &sha).await,
        Err(e) => Err(e),
    };
    if let Err(e) = stored {
        tracing::warn!(job, error = %e, "twin scene not stored; it is rebuilt on request");
    }
}

/// The twin of a finished review job: the stored scene, or one rebuilt from the job's
/// stored inputs and report (then stored and named on the job). A job that does not
/// exist is `NotFound`; one not done (queued, running, failed) is `Conflict`.
pub async fn twin_of_job(store: &Store, job_id: i64) -> Result<Vec<u8>, AppError> {
    let job = store
        .review_job(job_id)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("审查任务 review job {job_id}")))?;
    if job.status != ReviewStatus::Done {
        return Err(AppError::Conflict(format!(
            "审查任务 {job_id} 尚未完成，暂无三维孪生 review job {job_id} is not done: no twin"
        )));
    }
    if let Some(sha) = &job.twin_sha256 {
        match store.get_blob(sha).await {
            Ok(glb) => return Ok(glb),
            Err(e) => {
                tracing::warn!(job = job_id, error = %e, "stored twin unreadable; rebuilding")
            }
        }
    }
    let report = stored_report(store, &job).await?;
    let inp = review::job_inputs(store, &job).await.map_err(|e| {
        AppError::Conflict(format!(
            "审查任务 {job_id} 无法重建孪生 cannot rebuild the twin of review job {job_id}: {e}"
        ))
    })?;
    let file = format!("blob:{}", job.model_sha256);
    let glb = tokio::task::spawn_blocking(move || -> Result<Vec<u8>, String> {
        let l = review::load_job(&inp, &file, &|_| {})?;
        let review = job_id.to_string();
        let (glb, warnings) = glb_of(&TwinInput {
            model: &l.model,
            placed: l.placed.as_ref().ok(),
            site: &l.site,
            parcel: &inp.parcel,
            report: &report,
            review: Some(&review),
        })?;
        for w in &warnings {
            tracing::warn!(job = job_id, warning = %w, "twin scene");
        }
        Ok(glb)
    })
    .await
    .map_err(|e| AppError::Internal(format!("twin task aborted: {e}")))?
    .map_err(|e| {
        AppError::Internal(format!(
            "审查任务 {job_id} 孪生 twin of review job {job_id}: {e}"
        ))
    })?;
    let sha = store.put_blob(&glb, GLB_TYPE).await?;
    store.set_review_twin(job_id, &sha).await?;
    Ok(glb)
}

/// A done job's stored report.
async fn stored_report(store: &Store, job: &zhishen_store::ReviewJob) -> Result<Report, AppError> {
    let sha = job.report_sha256.as_ref().ok_or_else(|| {
        AppError::Internal(format!("review job {} is done but names no report", job.id))
    })?;
    let bytes = store.get_blob(sha).await?;
    serde_json::from_slice(&bytes)
        .map_err(|e| AppError::Internal(format!("report blob {sha} of review job {}: {e}", job.id)))
}

#[cfg(test)]
mod tests {
    //! A house 20 × 10 m on parcel P-1 (E 500000..500100, N 3000000..3000060, EPSG:4547)
    //! with road 南路 along its south edge: placed at N 3000005 it is 5 m from the road
    //! where 10 m are required (setback_road fails); at N 3000020 it passes.

    use super::*;
    use crate::demo::{self, DemoSite};
    use crate::licences::Issuer;
    use std::path::{Path, PathBuf};
    use std::sync::Arc;
    use zhishen_store::FixedClock;
    use zhishen_twin::{Layer, Mark, TwinScene};

    const FAILING: &str = "500040,3000005,0";
    const PASSING: &str = "500040,3000020,0";

    fn house() -> Vec<u8> {
        let spec = zhishen_testkit::BuildingSpec {
            occupancy: Some("住宅".into()),
            ..Default::default()
        };
        zhishen_testkit::write_ifc4(&spec).into_bytes()
    }

    fn geojson(props: &str, x0: f64, y0: f64, x1: f64, y1: f64) -> String {
        format!(
            r#"{{"type": "FeatureCollection", "crs": {{"type": "name", "properties": {{"name": "urn:ogc:def:crs:EPSG::4547"}}}},
            "features": [{{"type": "Feature", "properties": {props}, "geometry": {{"type": "Polygon",
            "coordinates": [[[{x0}, {y0}], [{x1}, {y0}], [{x1}, {y1}], [{x0}, {y1}], [{x0}, {y0}]]]}}}}]}}"#
        )
    }

    fn site_package(dir: &Path) {
        let parcel = r#"{"id": "P-1", "land_use": "0701", "far_max": 2.5, "coverage_max": 0.30,
            "green_min": 0.30, "height_max": 24.0, "setback_road_min": 10.0, "setback_boundary_min": 5.0}"#;
        std::fs::write(
            dir.join("parcel.geojson"),
            geojson(parcel, 500000.0, 3000000.0, 500100.0, 3000060.0),
        )
        .unwrap();
        std::fs::write(
            dir.join("road_red_line.geojson"),
            geojson(
                r#"{"name": "南路", "width": 20}"#,
                499950.0,
                2999980.0,
                500150.0,
                3000000.0,
            ),
        )
        .unwrap();
    }

    /// The scene's findings are the report's, in `findings_of` order.
    fn same_findings(scene: &TwinScene, report: &Report) {
        let want: Vec<String> = review::findings_of(report)
            .into_iter()
            .map(|f| f.check_id)
            .collect();
        let got: Vec<String> = scene
            .meta
            .findings
            .iter()
            .map(|f| f.check.clone())
            .collect();
        assert_eq!(got, want);
        assert!(scene
            .meta
            .findings
            .iter()
            .enumerate()
            .all(|(i, f)| f.number == i + 1));
    }

    #[test]
    fn twin_for_check_reviews_files_and_builds_the_scene() {
        let dir = tempfile::tempdir().unwrap();
        let model = dir.path().join("house.ifc");
        std::fs::write(&model, house()).unwrap();
        let site = dir.path().join("site");
        std::fs::create_dir(&site).unwrap();
        site_package(&site);
        let mut req = CheckRequest {
            model,
            site,
            parcel: "P-1".into(),
            profiles: vec![],
            place: Some(FAILING.into()),
            declared_use: None,
            declared: None,
            allow_outside_paths: false,
            site_crs: None,
        };
        let t = twin_for_check(&req).unwrap();
        let scene = TwinScene::from_glb(&t.glb).unwrap();
        same_findings(&scene, &t.report);
        let n = scene
            .meta
            .findings
            .iter()
            .find(|f| f.check == "setback_road")
            .expect("setback_road is a finding");
        assert_eq!(n.mark, Mark::Fail);
        assert!(scene
            .nodes
            .iter()
            .any(|x| x.info.layer == Some(Layer::Evidence) && x.info.findings == vec![n.number]));
        assert!(scene
            .nodes
            .iter()
            .any(|x| x.info.layer == Some(Layer::RoadRedLine)));
        assert_eq!(scene.meta.origin[..2], [500050.0, 3000030.0]);
        // Input the review refuses is the same error for the twin, not a panic.
        req.parcel = "NOPE".into();
        assert!(matches!(twin_for_check(&req), Err(AppError::BadInput(_))));
    }

    /// A parcel in CGCS2000 longitude/latitude near 114.3°E, 27.1°N.
    fn geographic_site(dir: &Path) {
        std::fs::write(
            dir.join("parcel.geojson"),
            r#"{"type": "FeatureCollection", "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4490"}},
            "features": [{"type": "Feature", "properties": {"id": "P-1", "land_use": "0701"}, "geometry": {"type": "Polygon",
            "coordinates": [[[114.300, 27.100], [114.301, 27.100], [114.301, 27.1008], [114.300, 27.1008], [114.300, 27.100]]]}}]}"#,
        )
        .unwrap();
    }

    #[test]
    fn check_takes_the_site_crs_from_a_georeferenced_model() {
        let dir = tempfile::tempdir().unwrap();
        let site = dir.path().join("site");
        std::fs::create_dir(&site).unwrap();
        geographic_site(&site);
        let req = |model: PathBuf| CheckRequest {
            model,
            site: site.clone(),
            parcel: "P-1".into(),
            profiles: vec![],
            place: None,
            declared_use: None,
            declared: None,
            allow_outside_paths: false,
            site_crs: None,
        };
        // The model's map conversion names EPSG:4548 (CM 117°E): the site CRS, though
        // the data's own nearest zone is EPSG:4547 (CM 114°E).
        let spec = zhishen_testkit::BuildingSpec {
            occupancy: Some("住宅".into()),
            map_conversion: Some(zhishen_testkit::MapConv {
                eastings: 229_900.0,
                northings: 3_002_000.0,
                height: 0.0,
                rotation_deg: 0.0,
                epsg: 4548,
                map_unit: None,
            }),
            ..Default::default()
        };
        let georef = dir.path().join("georef.ifc");
        std::fs::write(&georef, zhishen_testkit::write_ifc4(&spec)).unwrap();
        let r = crate::review::check(&req(georef)).unwrap();
        assert_eq!(r.site_crs, "EPSG:4548");
        assert_eq!(r.inputs.site_crs_source.as_deref(), Some("model"));
        let why = r.inputs.site_crs_reason.unwrap();
        assert!(why.contains("EPSG:4548"), "{why}");
        // A model without georeferencing: the zone nearest 114.3°E.
        let plain = dir.path().join("plain.ifc");
        std::fs::write(&plain, house()).unwrap();
        let r = crate::review::check(&req(plain.clone())).unwrap();
        assert_eq!(r.site_crs, "EPSG:4547");
        assert_eq!(
            r.inputs.site_crs_source.as_deref(),
            Some("gauss_kruger_zone")
        );
        // --site-crs over both.
        let mut named = req(plain);
        named.site_crs = Some("EPSG:4546".into());
        let r = crate::review::check(&named).unwrap();
        assert_eq!(
            (r.site_crs.as_str(), r.inputs.site_crs_source.as_deref()),
            ("EPSG:4546", Some("cli"))
        );
    }

    async fn store(dir: &Path) -> Store {
        let t = chrono::DateTime::parse_from_rfc3339("2026-03-02T09:00:00+08:00").unwrap();
        let url = format!("sqlite://{}?mode=rwc", dir.join("z.db").display());
        let store = Store::open(&url)
            .await
            .unwrap()
            .with_clock(Arc::new(FixedClock::new(t)))
            .with_blob_dir(dir.join("blobs"));
        use zhishen_workflow::demo as d;
        store
            .publish_definitions(
                d::CATALOGUE,
                d::PROCESS,
                &[d::CALENDAR_2025, d::CALENDAR_2026],
            )
            .await
            .unwrap();
        store
    }

    /// The demo seed's failing case: a real review job run by `run_jobs`.
    async fn seeded(store: &Store, dir: &Path) -> zhishen_store::ReviewJob {
        let site = dir.join("site");
        std::fs::create_dir(&site).unwrap();
        site_package(&site);
        let packed = crate::site_package::pack_dir(&site).unwrap();
        let site_sha = store.put_blob(&packed, "application/zip").await.unwrap();
        let model = house();
        let demo_site = DemoSite {
            site_sha256: site_sha,
            compliant: (&model, "P-1", PASSING, "住宅"),
            failing: (&model, "P-1", FAILING, "住宅"),
        };
        let signer = zhishen_audit::Ed25519Signer::from_seed("twin-test", &[5; 32]);
        let issuer = Issuer {
            signer: &signer,
            name: "测试发证机关",
            verify_url: "http://127.0.0.1/licence/verify",
        };
        let out = demo::seed(store, Some(&demo_site), &issuer).await.unwrap();
        let case = crate::CaseId::new(out.cases[2].0.clone()).unwrap();
        let jobs = store.review_jobs(&case).await.unwrap();
        assert_eq!(jobs.len(), 1);
        jobs[0].clone()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_review_job_stores_its_twin_and_an_old_job_gets_one_rebuilt() {
        let dir = tempfile::tempdir().unwrap();
        let store = store(dir.path()).await;
        let job = seeded(&store, dir.path()).await;
        assert_eq!(job.status, ReviewStatus::Done, "{:?}", job.error);
        let sha = job.twin_sha256.clone().expect("the job names its twin");
        let stored = store.get_blob(&sha).await.unwrap();
        assert_eq!(twin_of_job(&store, job.id).await.unwrap(), stored);
        let scene = TwinScene::from_glb(&stored).unwrap();
        assert_eq!(scene.meta.review, Some(job.id.to_string()));
        let report: Report = serde_json::from_slice(
            &store
                .get_blob(job.report_sha256.as_ref().unwrap())
                .await
                .unwrap(),
        )
        .unwrap();
        same_findings(&scene, &report);
        // A job done before twins existed: the column is null, the twin is rebuilt from
        // the stored inputs and report (the same scene), stored and named again.
        sqlx::any::install_default_drivers();
        let url = format!("sqlite://{}", dir.path().join("z.db").display());
        let pool = sqlx::AnyPool::connect(&url).await.unwrap();
        sqlx::query("UPDATE review_job SET twin_sha256 = NULL")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
        assert_eq!(
            store.review_job(job.id).await.unwrap().unwrap().twin_sha256,
            None
        );
        assert_eq!(twin_of_job(&store, job.id).await.unwrap(), stored);
        let again = store.review_job(job.id).await.unwrap().unwrap();
        assert_eq!(again.twin_sha256, Some(sha));
        // Not done, not there.
        let queued = store
            .enqueue_review(&job.case_id, &job.item, &job.model_sha256, Some("P-1"))
            .await
            .unwrap();
        assert!(matches!(
            twin_of_job(&store, queued).await,
            Err(AppError::Conflict(_))
        ));
        assert!(matches!(
            twin_of_job(&store, 9_999).await,
            Err(AppError::NotFound(_))
        ));
    }
}
