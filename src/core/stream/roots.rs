//! The template root of a stream: `#request`, `#response`, `#context`,
//! `#properties` and, for variables, `#lambdaResponse`.

use super::Stream;
use crate::core::aws::answer::LambdaAnswer;
use crate::core::template::{Root, Value};
use crate::core::views::{ContextView, LambdaView};
use std::rc::Rc;

pub struct StreamRoot {
    request: Option<Value>,
    response: Option<Value>,
    context: Value,
    properties: Value,
    lambda: Option<Value>,
}

impl StreamRoot {
    pub fn new(stream: &Stream, lambda: Option<Value>) -> Self {
        StreamRoot {
            request: stream.request.clone().map(|r| Value::Object(r)),
            response: stream.response.clone().map(|r| Value::Object(r)),
            context: Value::Object(Rc::new(ContextView {
                own: stream.attributes.clone(),
                host: stream.host.clone(),
            })),
            properties: stream.cfg.properties.clone(),
            lambda,
        }
    }
}

impl Root for StreamRoot {
    fn lookup(&self, name: &str) -> Option<Value> {
        match name {
            "request" => self.request.clone(),
            "response" => self.response.clone(),
            "context" => Some(self.context.clone()),
            "properties" => Some(self.properties.clone()),
            "lambdaResponse" => self.lambda.clone(),
            _ => None,
        }
    }
}

pub fn lambda_value(answer: Rc<LambdaAnswer>, headers: Vec<(String, String)>) -> Value {
    Value::Object(Rc::new(LambdaView::new(answer, headers)))
}
