import Foundation

/// The OpenAPI 3.1 description of one server (`GET /openapi.json`): only the endpoints its
/// model answers, with the model's image size and the server's limits in the schemas.
enum OpenAPIDocument {
    static func make(for model: ServedModel, configuration: ServeConfiguration) -> [String: Any] {
        let error: [String: Any] = [
            "type": "object", "required": ["error"],
            "properties": ["error": ["type": "object", "required": ["status", "message"],
                                     "properties": ["status": ["type": "integer"], "message": ["type": "string"]]]],
        ]
        let text: [String: Any] = ["type": "string", "minLength": 1, "maxLength": configuration.maxTextCharacters]
        var image: [String: Any] = ["description": "an image: a base64 PNG, or a preprocessed tensor"]
        if let spec = model.image {
            image["oneOf"] = [
                ["type": "string", "contentEncoding": "base64", "contentMediaType": "image/png",
                 "description": "a \(spec.width)×\(spec.height) PNG (\(spec.channels == 1 ? "gray" : "RGB"); other colour types are converted)"],
                ["type": "object", "required": ["shape", "data"], "additionalProperties": false,
                 "properties": ["shape": ["type": "array", "items": ["type": "integer"], "const": [spec.channels, spec.height, spec.width]],
                                "data": ["type": "array", "items": ["type": "number"], "minItems": spec.channels * spec.height * spec.width,
                                         "maxItems": spec.channels * spec.height * spec.width]]],
            ]
        }
        let errors: [String: Any] = Dictionary(uniqueKeysWithValues: [
            ("400", "malformed JSON, an unknown or missing field, a wrong type"),
            ("404", "an endpoint this model does not answer"),
            ("413", "a body, text or list over its limit"),
            ("422", "a value that cannot be used: not a PNG, a wrong size, an empty text"),
            ("503", "the queue is full (see Retry-After)"),
            ("504", "no answer within the request timeout"),
        ].map { code, what in
            (code, ["description": what, "content": ["application/json": ["schema": ["$ref": "#/components/schemas/Error"]]]] as [String: Any])
        })
        func post(_ summary: String, _ request: [String: Any], _ reply: [String: Any]) -> [String: Any] {
            var responses = errors
            responses["200"] = ["description": "the result", "content": ["application/json": ["schema": reply]]]
            return ["post": ["summary": summary, "requestBody": ["required": true, "content": ["application/json": ["schema": request]]],
                             "responses": responses]]
        }
        func get(_ summary: String, _ type: String) -> [String: Any] {
            ["get": ["summary": summary, "responses": ["200": ["description": summary, "content": [type: ["schema": ["type": type == "application/json" ? "object" : "string"]]]]]]]
        }
        let scores: [String: Any] = ["type": "array", "items": ["type": "object", "properties": [
            "label": ["type": "string"], "prompt": ["type": "string"], "score": ["type": "number"]]]]
        var paths: [String: Any] = [
            "/health": get("liveness", "application/json"),
            "/v1/model": get("the served model, its inputs, limits and provenance", "application/json"),
            "/metrics": get("Prometheus metrics", "text/plain"),
            "/openapi.json": get("this document", "application/json"),
        ]
        if model.endpoints.contains("/v1/embed") {
            var properties: [String: Any] = [:]
            if model.imageEmbedder != nil { properties["image"] = ["$ref": "#/components/schemas/Image"] }
            if model.textEmbedder != nil { properties["text"] = text }
            paths["/v1/embed"] = post("embed one image or one text (L2-normalized)",
                                      ["type": "object", "additionalProperties": false, "properties": properties, "minProperties": 1, "maxProperties": 1],
                                      ["type": "object", "properties": ["modality": ["type": "string"], "dimensions": ["type": "integer"],
                                                                        "embedding": ["type": "array", "items": ["type": "number"]],
                                                                        "truncated": ["type": "boolean"]]])
        }
        if model.endpoints.contains("/v1/classify") {
            let list: [String: Any] = ["type": "array", "items": text, "minItems": 1, "maxItems": configuration.maxLabels]
            let request: [String: Any] = model.classifier != nil
                ? ["type": "object", "additionalProperties": false, "required": ["image"], "properties": ["image": ["$ref": "#/components/schemas/Image"]]]
                : ["type": "object", "additionalProperties": false, "required": ["image"],
                   "properties": ["image": ["$ref": "#/components/schemas/Image"], "labels": list, "prompts": list,
                                  "template": ["type": "string", "default": "a photo of a {}"]]]
            paths["/v1/classify"] = post("zero-shot (CLIP: softmax of logit scale × cosine over the prompts) or the model's own classes",
                                         request, ["type": "object", "properties": ["label": ["type": "string"], "scores": scores]])
        }
        if model.endpoints.contains("/v1/answer") {
            paths["/v1/answer"] = post("answer a question about an image",
                                       ["type": "object", "additionalProperties": false, "required": ["image", "question"],
                                        "properties": ["image": ["$ref": "#/components/schemas/Image"], "question": text]],
                                       ["type": "object", "properties": ["answer": ["type": "string"], "truncated": ["type": "boolean"],
                                                                         "scores": ["type": "array", "items": ["type": "object"]]]])
        }
        return [
            "openapi": "3.1.0",
            "info": ["title": "lab serve: \(model.manifest.module)", "version": model.manifest.metadata["lab.run"] ?? "export",
                     "description": "A model exported by Lab, served with dynamic batching."],
            "paths": paths,
            "components": ["schemas": ["Error": error, "Image": image]],
        ]
    }
}
