//! A custom domain's records: a CNAME of the name refused before any change (Route 53 allows no alias beside
//! it), and records that follow what the endpoint serves (A for an ipv4 domain, A and AAAA for dualstack).

use super::api_settings::{FULL, issued, kinds};
use super::*;
use crate::config::IpAddressType;

fn put_records(p: &Plan) -> Option<(Vec<RecordType>, Vec<RecordType>)> {
    p.steps.iter().find_map(|s| match s {
        Step::Dns(DnsStep::PutAliasRecords { write, drop, .. }) => Some((write.clone(), drop.clone())),
        _ => None,
    })
}

#[test]
fn a_cname_of_the_name_is_refused_before_any_change() {
    let s = stack(FULL);
    let mut inv = empty();
    issued(&mut inv);
    inv.api_dns.records = vec![AliasRecordInfo {
        record_type: "CNAME".into(),
        alias_target: None,
        values: vec!["d-abc.execute-api.us-east-1.amazonaws.com".into()],
    }];
    let e = plan(&s, &inv).unwrap_err();
    assert!(matches!(e, Conflict::CnameBesideAlias { ours: false, .. }), "{e}");
    let text = e.to_string();
    assert!(
        text.contains("has a CNAME record `api.example.com CNAME d-abc.execute-api.us-east-1.amazonaws.com`"),
        "{text}"
    );
    assert!(text.contains("Delete the CNAME"), "{text}");

    // The CNAME `outputs` told the user to add, once the domain exists: said to be that one.
    let mut inv = empty();
    issued(&mut inv);
    let p = plan(&s, &inv).unwrap();
    simulate(&s, &mut inv, &p);
    let target = inv.domain.find("api.example.com").unwrap().target.clone();
    inv.api_dns.records = vec![AliasRecordInfo {
        record_type: "CNAME".into(),
        alias_target: None,
        values: vec![target],
    }];
    let e = plan(&s, &inv).unwrap_err();
    assert!(matches!(e, Conflict::CnameBesideAlias { ours: true, .. }), "{e}");
    assert!(e.to_string().contains("as the record added by hand does"), "{e}");
}

#[test]
fn an_ipv4_domain_gets_an_a_record_and_a_dualstack_one_a_and_aaaa() {
    // Undeclared: a new domain is ipv4, API Gateway's default, and only A is written.
    let s = stack(FULL);
    let mut inv = empty();
    issued(&mut inv);
    let p = plan(&s, &inv).unwrap();
    assert_eq!(put_records(&p), Some((vec![RecordType::A], vec![])));
    assert!(kinds(&p).contains(&"Create route53_alias".to_string()));
    simulate(&s, &mut inv, &p);
    assert_eq!(inv.domain.found[0].ip_address_type, IpAddressType::Ipv4);
    assert!(plan(&s, &inv).unwrap().is_empty());

    // Declared dualstack: the domain is updated, and AAAA joins A.
    let dual = stack(&format!("{FULL}  ip_address_type: dualstack\n"));
    let p = plan(&dual, &inv).unwrap();
    let update = p.steps.iter().find_map(|s| match s {
        Step::Domain(DomainStep::Update {
            diffs, ip_address_type, ..
        }) => Some((diffs.clone(), *ip_address_type)),
        _ => None,
    });
    let (diffs, ip) = update.expect("an update of the domain");
    assert_eq!(ip, IpAddressType::Dualstack);
    assert!(diffs.iter().any(|d| d.field == "ip_address_type"), "{diffs:?}");
    assert_eq!(put_records(&p), Some((vec![RecordType::A, RecordType::Aaaa], vec![])));
    simulate(&dual, &mut inv, &p);
    assert!(plan(&dual, &inv).unwrap().is_empty());

    // Undeclared again: the domain keeps dualstack (nothing resets what was set), and so do its records.
    assert!(plan(&s, &inv).unwrap().is_empty());

    // Declared ipv4: the domain goes back, and the stack's AAAA record leaves in the same change batch.
    let v4 = stack(&format!("{FULL}  ip_address_type: ipv4\n"));
    let p = plan(&v4, &inv).unwrap();
    assert_eq!(put_records(&p), Some((vec![RecordType::A], vec![RecordType::Aaaa])));
    simulate(&v4, &mut inv, &p);
    assert_eq!(inv.api_dns.records.len(), 1);
    assert!(plan(&v4, &inv).unwrap().is_empty());
}

#[test]
fn teardown_deletes_the_records_that_exist() {
    let s = stack(FULL);
    let mut inv = empty();
    issued(&mut inv);
    let p = plan(&s, &inv).unwrap();
    simulate(&s, &mut inv, &p);
    let t = plan_teardown(&s, &inv, false).unwrap();
    let types = t.steps.iter().find_map(|s| match s {
        Step::Dns(DnsStep::DeleteAliasRecords { types, .. }) => Some(types.clone()),
        _ => None,
    });
    // Only A exists: a batch deleting an AAAA too would be refused whole.
    assert_eq!(types, Some(vec![RecordType::A]));
}

#[test]
fn a_hosted_zone_that_does_not_hold_the_domain_is_refused_before_any_change() {
    let s = stack(FULL);
    let mut inv = empty();
    issued(&mut inv);
    inv.api_dns.zone_name = Some("example.org".into());
    let e = plan(&s, &inv).unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains("domain.hosted_zone_id Z0123456789ABCDEFGHIJ is the hosted zone of example.org, which does not hold api.example.com"),
        "{text}"
    );
    // The domain's own zone, or a parent's (in any case, with or without the final dot), is right.
    for zone in ["example.com", "api.example.com.", "EXAMPLE.com"] {
        inv.api_dns.zone_name = Some(zone.into());
        plan(&s, &inv).unwrap();
    }
    assert!(!super::super::dns::zone_holds("ample.com", "api.example.com"));
}
