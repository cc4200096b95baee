# tessera_proto_library(NAME FILES a.proto ... [DEPS other_proto_lib ...])
# Turns proto/tessera/<area>/v1/*.proto into a static library `NAME` with message and gRPC code.
# Generated code lives only in the build tree; include it as "tessera/<area>/v1/x.pb.h".
function(tessera_proto_library name)
  cmake_parse_arguments(ARG "" "" "FILES;DEPS" ${ARGN})
  set(proto_root ${PROJECT_SOURCE_DIR}/proto)
  set(out ${PROJECT_BINARY_DIR}/proto_gen)
  file(MAKE_DIRECTORY ${out})
  get_target_property(grpc_plugin gRPC::grpc_cpp_plugin IMPORTED_LOCATION_NONE)
  if(NOT grpc_plugin)
    find_program(grpc_plugin grpc_cpp_plugin REQUIRED)
  endif()
  set(sources)
  foreach(proto IN LISTS ARG_FILES)
    get_filename_component(abs ${proto} ABSOLUTE)
    file(RELATIVE_PATH rel ${proto_root} ${abs})
    string(REGEX REPLACE "\\.proto$" "" stem ${rel})
    set(generated ${out}/${stem}.pb.cc ${out}/${stem}.pb.h
                  ${out}/${stem}.grpc.pb.cc ${out}/${stem}.grpc.pb.h)
    add_custom_command(
      OUTPUT ${generated}
      COMMAND protobuf::protoc --proto_path=${proto_root} --cpp_out=${out}
              --grpc_out=${out} --plugin=protoc-gen-grpc=${grpc_plugin} ${abs}
      DEPENDS ${abs} protobuf::protoc
      COMMENT "protoc ${rel}" VERBATIM)
    list(APPEND sources ${out}/${stem}.pb.cc ${out}/${stem}.grpc.pb.cc)
  endforeach()
  add_library(${name} STATIC ${sources})
  target_include_directories(${name} SYSTEM PUBLIC ${out})
  target_link_libraries(${name} PUBLIC protobuf::libprotobuf gRPC::grpc++ ${ARG_DEPS})
endfunction()
